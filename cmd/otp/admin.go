package main

import (
	"fmt"
	"time"

	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

// withService loads the configuration, opens the store (no sender: these
// commands send nothing) and runs fn.
func (a *app) withService(cmd *cobra.Command, g *globalFlags, fn func(*otp.Service) error) error {
	e, err := a.load(g)
	if err != nil {
		return err
	}
	if err := e.open(cmd.Context(), a, g, nil); err != nil {
		return err
	}
	defer e.close()
	return fn(e.svc)
}

func newGuardCmd(a *app, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "guard",
		Short: "Look at and steer the abuse guard",
		Long: `The abuse guard ([guard], see "otp help config") refuses sends that look like SMS pumping:
to refused countries or number types, too many to one prefix, country or client, or to prefixes
whose codes are rarely verified. A refused send exits 9.

  otp guard report            prefixes and countries, riskiest first
  otp guard block +1201555    refuse sends to a prefix (or a country: US) for --for
  otp guard unblock +1201555  lift a block, manual or automatic`,
		Args: noArgs,
	}
	var blockFor time.Duration
	block := &cobra.Command{
		Use:   "block PREFIX|COUNTRY",
		Short: "Refuse sends to a prefix (+1201555) or a country (US)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if blockFor <= 0 {
				return usageErrorf("--for must be positive")
			}
			return a.withService(cmd, g, func(svc *otp.Service) error {
				if err := svc.Block(cmd.Context(), args[0], blockFor); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "otp: guard: blocked %s for %s\n", args[0], blockFor)
				return a.guardDone(g, args[0], "blocked", blockFor)
			})
		},
	}
	block.Flags().DurationVar(&blockFor, "for", otp.DefaultBlockFor, "how long the block lasts")
	unblock := &cobra.Command{
		Use:   "unblock PREFIX|COUNTRY",
		Short: "Lift a block on a prefix or a country",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withService(cmd, g, func(svc *otp.Service) error {
				if err := svc.Block(cmd.Context(), args[0], 0); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "otp: guard: unblocked %s\n", args[0])
				return a.guardDone(g, args[0], "unblocked", 0)
			})
		},
	}
	var top int
	report := &cobra.Command{
		Use:   "report",
		Short: "Sends, verified codes, conversion and blocks per prefix and country",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withService(cmd, g, func(svc *otp.Service) error {
				rows, err := svc.GuardReport(cmd.Context())
				if err != nil {
					return err
				}
				return a.printGuardReport(g, rows, top)
			})
		},
	}
	report.Flags().IntVar(&top, "top", 20, "rows to show (0: all); --json gives all")
	cmd.AddCommand(report, block, unblock)
	return cmd
}

func (a *app) guardDone(g *globalFlags, target, action string, d time.Duration) error {
	if g.json {
		out := struct {
			Target     string `json:"target"`
			Action     string `json:"action"`
			ForSeconds int64  `json:"for_seconds,omitempty"`
		}{target, action, int64(d / time.Second)}
		writeJSON(a.stdout, out)
	}
	return nil
}

// guardRowJSON is one row of otp guard report --json.
type guardRowJSON struct {
	Target       string     `json:"target"`
	Kind         string     `json:"kind"`
	Sent         int        `json:"sent"`
	Verified     int        `json:"verified"`
	Conversion   float64    `json:"conversion"`
	BlockedUntil *time.Time `json:"blocked_until,omitempty"`
	BlockReason  string     `json:"block_reason,omitempty"`
}

func (a *app) printGuardReport(g *globalFlags, rows []otp.GuardRow, top int) error {
	if g.json {
		out := make([]guardRowJSON, 0, len(rows))
		for _, r := range rows {
			j := guardRowJSON{Target: r.Target, Kind: r.Kind, Sent: r.Sent, Verified: r.Verified, Conversion: r.Conversion, BlockReason: string(r.BlockReason)}
			if !r.BlockedUntil.IsZero() {
				t := r.BlockedUntil.UTC()
				j.BlockedUntil = &t
			}
			out = append(out, j)
		}
		writeJSON(a.stdout, struct {
			Rows []guardRowJSON `json:"rows"`
		}{out})
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "nothing counted or blocked (the counting rules are off, or nothing was sent in the window)")
		return nil
	}
	fmt.Fprintf(a.stdout, "%-10s %-8s %6s %8s %6s  %s\n", "TARGET", "KIND", "SENT", "VERIFIED", "CONV", "BLOCKED")
	for i, r := range rows {
		if top > 0 && i == top {
			fmt.Fprintf(a.stdout, "... %d more (--top 0 for all)\n", len(rows)-top)
			break
		}
		blocked := "-"
		if !r.BlockedUntil.IsZero() {
			blocked = fmt.Sprintf("%s, %s more", r.BlockReason, otp.HumanDuration(r.BlockedUntil.Sub(a.now())))
		}
		fmt.Fprintf(a.stdout, "%-10s %-8s %6d %8d %5.0f%%  %s\n", r.Target, r.Kind, r.Sent, r.Verified, 100*r.Conversion, blocked)
	}
	return nil
}

// statusJSON is otp status --json: never the code.
type numberStatusJSON struct {
	To           string     `json:"to"`
	Pending      bool       `json:"pending"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	AttemptsLeft int        `json:"attempts_left"`
	LockedUntil  *time.Time `json:"locked_until,omitempty"`
	NextSendAt   *time.Time `json:"next_send_at,omitempty"`
	SendsLeft    int        `json:"sends_left"`
}

func newStatusCmd(a *app, g *globalFlags) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "status --to NUMBER",
		Short: "Show what the store holds about a number (never the code)",
		Long: `Status shows whether a code is pending for the number and until when, the tries it has
left, a lock, when the next send may go out and how many sends the window still allows. It
changes nothing and never shows the code.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usageErrorf("--to is required")
			}
			return a.withService(cmd, g, func(svc *otp.Service) error {
				in, err := svc.Info(cmd.Context(), to)
				if err != nil {
					return err
				}
				ptr := func(t time.Time) *time.Time {
					if t.IsZero() {
						return nil
					}
					t = t.UTC()
					return &t
				}
				if g.json {
					writeJSON(a.stdout, numberStatusJSON{To: in.To, Pending: in.Pending, ExpiresAt: ptr(in.ExpiresAt),
						AttemptsLeft: in.AttemptsLeft, LockedUntil: ptr(in.LockedUntil), NextSendAt: ptr(in.NextSendAt), SendsLeft: in.SendsLeft})
					return nil
				}
				now := a.now()
				if in.Pending {
					fmt.Fprintf(a.stdout, "%s: a code is pending; it expires in %s; %s left\n", in.To, otp.HumanDuration(in.ExpiresAt.Sub(now)), triesText(in.AttemptsLeft))
				} else {
					fmt.Fprintf(a.stdout, "%s: no code is pending\n", in.To)
				}
				if !in.LockedUntil.IsZero() {
					fmt.Fprintf(a.stdout, "%s: locked for %s more\n", in.To, otp.HumanDuration(in.LockedUntil.Sub(now)))
				}
				switch {
				case !in.NextSendAt.IsZero() && in.NextSendAt.After(now):
					fmt.Fprintf(a.stdout, "%s: the next send may go out in %s", in.To, otp.HumanDuration(in.NextSendAt.Sub(now)))
				default:
					fmt.Fprintf(a.stdout, "%s: a send may go out now", in.To)
				}
				if in.SendsLeft >= 0 {
					fmt.Fprintf(a.stdout, "; %d left in the window", in.SendsLeft)
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "phone number (required)")
	return cmd
}

func triesText(n int) string {
	switch {
	case n < 0:
		return "unlimited tries"
	case n == 1:
		return "1 try"
	}
	return fmt.Sprintf("%d tries", n)
}

// newSupportCmd makes otp cancel and otp unlock: a support agent's tools,
// each logged on stderr.
func newSupportCmd(a *app, g *globalFlags, name, short, long string, do func(*otp.Service, *cobra.Command, string) (bool, error), done, none string) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   name + " --to NUMBER",
		Short: short,
		Long:  long,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usageErrorf("--to is required")
			}
			return a.withService(cmd, g, func(svc *otp.Service) error {
				changed, err := do(svc, cmd, to)
				if err != nil {
					return err
				}
				number, _ := svc.ParseNumber(to)
				msg := none
				if changed {
					msg = done
				}
				fmt.Fprintf(a.stderr, "otp: %s: %s: %s\n", name, number, msg)
				if g.json {
					writeJSON(a.stdout, struct {
						To      string `json:"to"`
						Changed bool   `json:"changed"`
					}{number, changed})
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "phone number (required)")
	return cmd
}

func newCancelCmd(a *app, g *globalFlags) *cobra.Command {
	return newSupportCmd(a, g, "cancel", "Withdraw a number's pending code",
		`Cancel withdraws the number's pending code: it can no longer be verified, and its send is
refunded so the person can ask for a new code at once. It is logged on stderr.`,
		func(svc *otp.Service, cmd *cobra.Command, to string) (bool, error) {
			return svc.Withdraw(cmd.Context(), to)
		},
		"pending code withdrawn", "no code was pending")
}

func newUnlockCmd(a *app, g *globalFlags) *cobra.Command {
	return newSupportCmd(a, g, "unlock", "Lift a number's lock and forget its wrong tries",
		`Unlock lifts the lock set after too many wrong tries and forgets the wrong tries counted
against the number (a support agent's tool). A code burned by the lock stays gone. It is
logged on stderr.`,
		func(svc *otp.Service, cmd *cobra.Command, to string) (bool, error) {
			return svc.Unlock(cmd.Context(), to)
		},
		"lock and wrong tries lifted", "nothing to lift")
}
