package main

import (
	"context"
	"errors"

	"github.com/otpkit/otpkit/config"
	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used (version.go).
var version = ""

// globalFlags are the flags every command takes.
type globalFlags struct {
	config string
	store  string
	json   bool
}

func newRootCmd(a *app) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "otp",
		Short: "Send one-time passcodes by SMS or voice and verify them",
		Long: `otp sends one-time passcodes by SMS or voice call through a configured provider,
keeps them (hashed) in a local store with an expiry, and verifies what people type back.

Configuration: --config FILE, else $OTP_CONFIG, else $XDG_CONFIG_HOME/otpkit/config.toml
(~/.config/otpkit/config.toml) if present, else built-in defaults: codes of 6 digits valid
for 10 minutes, a file store under $XDG_STATE_HOME/otpkit (~/.local/state/otpkit), and the
console provider, which prints messages to stderr. See "otp help config".

` + exitCodesHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v (see 'otp %s --help')", err, c.Name())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.config, "config", "", "configuration file (default $OTP_CONFIG or $XDG_CONFIG_HOME/otpkit/config.toml)")
	pf.StringVar(&g.store, "store", "", "store file (default [store] path or $XDG_STATE_HOME/otpkit/otp.db)")
	pf.BoolVar(&g.json, "json", false, "write one JSON object to stdout for every outcome")
	root.AddCommand(
		newSendCmd(a, g),
		newVerifyCmd(a, g),
		newPurgeCmd(a, g),
		newStatusCmd(a, g),
		newGuardCmd(a, g),
		newCancelCmd(a, g),
		newUnlockCmd(a, g),
		newServeCmd(a, g),
		newProbeCmd(a, g),
		newVersionCmd(a, g),
		helpTopic("config", "The configuration file", configHelp()),
		helpTopic("exit-codes", "What each exit code means", exitCodesHelp),
	)
	return root
}

// helpTopic is a command without a Run: cobra lists it under "Additional
// help topics" and "otp help NAME" prints its text.
func helpTopic(name, short, text string) *cobra.Command {
	return &cobra.Command{Use: name, Short: short, Long: text}
}

// noArgs refuses positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q (see 'otp %s --help')", args[0], cmd.Name())
	}
	return nil
}

// env is what the send, verify and purge commands work with.
type env struct {
	cfg    *config.Config
	opts   otp.Options
	svc    *otp.Service
	store  store.Store
	sender *delivery.Failover // the providers; nil for commands that do not send
	// server is set by otp serve before open: the store is shared by many
	// requests at once for long (see config.OpenStore's mode).
	server bool
}

// configEnv is what the configuration takes from the outside world.
func (a *app) configEnv() config.Env {
	return config.Env{Getenv: a.getenv, Now: a.now, Stderr: a.stderr}
}

// load reads and checks the configuration, opening nothing, so that bad
// configuration and bad input fail before the store is touched.
func (a *app) load(g *globalFlags) (*env, error) {
	cfg, err := config.Load(config.Find(g.config, a.getenv))
	if err != nil {
		return nil, err
	}
	opts, err := cfg.Options(a.configEnv())
	if err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &env{cfg: cfg, opts: opts}, nil
}

// sendPlan is what open needs to know to build the providers for a send.
type sendPlan struct {
	channel delivery.Channel // may be delivery.Auto
	wait    bool             // the command waits for delivery: every provider must report it
}

// open builds the providers for a send (plan nil: the command does not
// send and needs no provider settings), opens the store and makes the
// service. The caller must call close.
func (e *env) open(ctx context.Context, a *app, g *globalFlags, plan *sendPlan) error {
	cenv := a.configEnv()
	storePath, err := e.cfg.StorePath(g.store, cenv)
	if err != nil {
		return err
	}
	var sender delivery.Sender = noSender{}
	if plan != nil {
		routes, err := e.cfg.Routes(cenv, storePath, plan.channel)
		if err != nil {
			return err
		}
		for _, r := range routes {
			if _, ok := r.Sender.(delivery.StatusChecker); plan.wait && !ok {
				return usageErrorf("--wait: the %s provider cannot look up delivery status", r.Provider)
			}
		}
		e.sender = delivery.NewFailover(routes...)
		sender = e.sender
	} else if _, err := e.cfg.Providers(); err != nil {
		return err
	}
	mode := config.StoreCommand
	if e.server {
		mode = config.StoreServer
	}
	st, err := e.cfg.OpenStore(ctx, cenv, storePath, mode)
	if err != nil {
		return err
	}
	svc, err := otp.New(ctx, st, sender, e.opts)
	if err != nil {
		st.Close()
		return err
	}
	e.svc, e.store = svc, st
	return nil
}

func (e *env) close() error { return e.store.Close() }

// noSender stands in for the providers in commands that never send
// (verify, purge), so they need no provider credentials.
type noSender struct{}

func (noSender) Send(context.Context, delivery.Message) (delivery.Receipt, error) {
	return delivery.Receipt{}, errors.New("this command does not send")
}
