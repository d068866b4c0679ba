package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/outbox"
	"github.com/otpkit/otpkit/internal/testclock"
)

func TestSendAppendsWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "outbox.jsonl")
	now := time.Date(2026, 11, 22, 9, 0, 0, 500, time.UTC)
	s := outbox.New(path, func() time.Time { return now })
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf("message %d %s", i, string(make([]byte, 3000))) // lines larger than a pipe buffer
			r, err := s.Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.SMS, Body: body, Code: fmt.Sprint(i)})
			if err != nil || r.Provider != "outbox" || r.ID == "" || r.Status != "delivered" {
				t.Errorf("Send: %+v, %v", r, err)
			}
		})
	}
	wg.Wait()
	entries, err := outbox.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("%d entries, want %d", len(entries), n)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.To != "+12015550123" || e.Channel != delivery.SMS || !e.Time.Equal(now.Truncate(time.Second)) || seen[e.Code] {
			t.Fatalf("entry %+v", e)
		}
		seen[e.Code] = true
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("outbox mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSendFailure(t *testing.T) {
	dir := t.TempDir() // a directory where the file should be
	_, err := outbox.New(dir, testclock.Base).Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.SMS, Body: "x", Code: "1"})
	if err == nil {
		t.Fatal("Send to a directory succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := outbox.New(filepath.Join(dir, "o.jsonl"), testclock.Base).Send(ctx, delivery.Message{}); err == nil {
		t.Fatal("Send with a canceled context succeeded")
	}
}

func TestReadDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.jsonl")
	os.WriteFile(path, []byte(`{"to":"+12015550123","code":"1"}`+"\n{oops\n"), 0o600)
	entries, err := outbox.Read(path)
	if err == nil || len(entries) != 1 {
		t.Fatalf("Read of a damaged file = %d entries, %v; want 1 and an error", len(entries), err)
	}
}

func TestStatus(t *testing.T) {
	s := outbox.New(filepath.Join(t.TempDir(), "outbox.jsonl"), testclock.Base)
	r, err := s.Send(context.Background(), delivery.Message{To: "+12015550123", Channel: delivery.SMS, Body: "b", Code: "1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(context.Background(), r.ID)
	if err != nil || st.State != delivery.StateDelivered {
		t.Errorf("Status(%q) = %+v, %v", r.ID, st, err)
	}
	if _, err := s.Status(context.Background(), "console-1"); err == nil {
		t.Error("Status of a foreign id: no error")
	}
}

// TestTornLine: an entry cut off by a killed writer does not swallow the
// next one: it starts on its own line.
func TestTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.jsonl")
	os.WriteFile(path, []byte(`{"to":"+12015550123","co`), 0o600)
	s := outbox.New(path, testclock.Base)
	if _, err := s.Send(context.Background(), delivery.Message{To: "+12015550124", Channel: delivery.SMS, Body: "b", Code: "42"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"code":"42"`) {
		t.Fatalf("outbox = %q, want the torn line and the new entry on its own", b)
	}
}
