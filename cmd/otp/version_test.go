package main

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	goinstall := &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}}}
	tests := []struct {
		name                 string
		ldVersion, ldCommit  string
		bi                   *debug.BuildInfo
		ok                   bool
		version, commit, day string
	}{
		{"no build info", "", "", nil, false, "(devel)", "", ""},
		{"go install", "", "", goinstall, true, "v0.4.0", "0123abcd", "2026-01-02T03:04:05Z"},
		{"ldflags win", "v1.0.0", "ffff", goinstall, true, "v1.0.0", "ffff", "2026-01-02T03:04:05Z"},
		{"devel build, no vcs", "", "", &debug.BuildInfo{}, true, "(devel)", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version, commit, date = tt.ldVersion, tt.ldCommit, ""
			t.Cleanup(func() { version, commit, date = "", "", "" })
			v := buildVersion(tt.bi, tt.ok)
			if v.Version != tt.version || v.Commit != tt.commit || v.Date != tt.day || v.Go == "" || v.OS == "" || v.Arch == "" {
				t.Errorf("got %+v, want version %q commit %q date %q", v, tt.version, tt.commit, tt.day)
			}
		})
	}
}
