package speech

import (
	"errors"
	"testing"

	"github.com/otpkit/otpkit/delivery"
)

func TestFill(t *testing.T) {
	got, err := Settings{Language: "fr-FR"}.Fill("p")
	if err != nil || got != (Settings{Voice: "woman", Language: "fr-FR", Loop: 2}) {
		t.Errorf("Fill = %+v, %v", got, err)
	}
	for _, loop := range []int{-1, 11} {
		_, err := Settings{Loop: loop}.Fill("p")
		var ce *delivery.ConfigError
		if !errors.As(err, &ce) || ce.Provider != "p" || ce.Field != "Loop" || ce.Problem != "must be within 1-10" {
			t.Errorf("loop %d: %v", loop, err)
		}
	}
}

func TestCallStatus(t *testing.T) {
	for raw, want := range map[string]delivery.State{
		"queued": delivery.StatePending, "in-progress": delivery.StatePending, "completed": delivery.StateDelivered,
		"busy": delivery.StateFailed, "no-answer": delivery.StateFailed, "canceled": delivery.StateFailed, "failed": delivery.StateFailed,
	} {
		if got := CallStatus(raw); got.State != want || got.Raw != raw || (want == delivery.StateFailed) != (got.Error != "") {
			t.Errorf("CallStatus(%q) = %+v", raw, got)
		}
	}
}
