package main

import (
	"fmt"

	"github.com/otpkit/otpkit/otp"
	"github.com/spf13/cobra"
)

func newPurgeCmd(a *app, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "purge",
		Short: "Remove expired and used codes from the store",
		Long: `Purge removes expired and used codes, and forgets numbers with nothing left to remember.
Locks and send limits still in force are kept. It prints how many records it removed or
cleared. Run it from cron to keep the store small; nothing depends on it for correctness.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withService(cmd, g, func(svc *otp.Service) error {
				n, err := svc.Purge(cmd.Context())
				if err != nil {
					return err
				}
				if g.json {
					writeJSON(a.stdout, struct {
						Purged int `json:"purged"`
					}{n})
					return nil
				}
				fmt.Fprintf(a.stdout, "purged %d\n", n)
				return nil
			})
		},
	}
}
