package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// commit and date are set by release builds with -ldflags
// "-X main.commit=... -X main.date=..."; otherwise they come from the
// build info's vcs.revision and vcs.time, when the build recorded them.
var (
	commit = ""
	date   = ""
)

// versionInfo is what "otp version --json" prints.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// buildVersion gathers the version from the ldflags, then the build info.
func buildVersion(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if ok {
		if v.Version == "" && bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && v.Commit == "":
				v.Commit = s.Value
			case s.Key == "vcs.time" && v.Date == "":
				v.Date = s.Value
			}
		}
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

// String is the plain line: "otp VERSION GO OS/ARCH", then the commit and
// build date when known.
func (v versionInfo) String() string {
	s := fmt.Sprintf("otp %s %s %s/%s", v.Version, v.Go, v.OS, v.Arch)
	if v.Commit != "" {
		s += " commit " + v.Commit
	}
	if v.Date != "" {
		s += " built " + v.Date
	}
	return s
}

func newVersionCmd(a *app, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Long: `Print otp's module version, Go version, OS/architecture, and the commit and
build date when the build recorded them (release builds and go install from a
module version do; a plain go build outside a repository may not). With --json,
one object: {"version","commit","date","go","os","arch"}; unknown fields are "".`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildVersion(debug.ReadBuildInfo())
			if g.json {
				b, err := json.Marshal(v)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
				return nil
			}
			fmt.Fprintln(a.stdout, v)
			return nil
		},
	}
}
