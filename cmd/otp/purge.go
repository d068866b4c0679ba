package main

import (
	"fmt"

	"github.com/otpkit/otpkit/otp"
	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/verifyapi"
	"github.com/spf13/cobra"
)

func newPurgeCmd(a *app, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "purge",
		Short: "Remove expired and used codes from the store",
		Long: `Purge removes expired and used codes, and forgets numbers with nothing left to remember.
Locks and send limits still in force are kept. It prints how many records it removed or
cleared. It also removes otp serve's verifications a day after they ended or their code
expired, and those of deleted services. Run it from cron to keep the store small; nothing
depends on it for correctness (otp serve runs it every hour).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.load(g)
			if err != nil {
				return err
			}
			if err := e.open(cmd.Context(), a, g, nil); err != nil {
				return err
			}
			defer e.close()
			n, err := e.svc.Purge(cmd.Context())
			if err != nil {
				return err
			}
			// otp serve's verifications a day past their end, on stores
			// that keep them.
			var verifications int
			if docs, ok := e.store.(store.DocStore); ok {
				if verifications, err = verifyapi.Purge(cmd.Context(), docs, a.now()); err != nil {
					return fmt.Errorf("%w: %w", otp.ErrStore, err)
				}
			}
			if g.json {
				writeJSON(a.stdout, struct {
					Purged        int `json:"purged"`
					Verifications int `json:"verifications,omitempty"`
				}{n, verifications})
				return nil
			}
			if verifications > 0 {
				fmt.Fprintf(a.stdout, "purged %d; %d verifications of otp serve\n", n, verifications)
				return nil
			}
			fmt.Fprintf(a.stdout, "purged %d\n", n)
			return nil
		},
	}
}
