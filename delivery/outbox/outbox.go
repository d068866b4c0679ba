// Package outbox is a [delivery.Sender] that appends each message to a JSON
// Lines file instead of sending it: the capture mode for CI jobs and tests,
// which read the code back from the file.
//
// Each line is one object:
//
//	{"time":"2026-11-22T09:30:00Z","id":"outbox-…","to":"+12015550123","channel":"sms","body":"…","code":"123456"}
//
// The file holds codes in plain text: keep it where only the test can read it
// (it is created with mode 0600).
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otpkit/otpkit/delivery"
	"github.com/otpkit/otpkit/delivery/internal/msgid"
)

// Entry is one line of the outbox file.
type Entry struct {
	Time    time.Time        `json:"time"`
	ID      string           `json:"id"`
	To      string           `json:"to"`
	Channel delivery.Channel `json:"channel"`
	Body    string           `json:"body"`
	Code    string           `json:"code"`
}

// Sender appends messages to a file. It is safe for concurrent use by many
// goroutines and many processes: each line is written whole with one
// append under an exclusive file lock.
type Sender struct {
	path string
	now  func() time.Time
}

var (
	_ delivery.Sender        = (*Sender)(nil)
	_ delivery.StatusChecker = (*Sender)(nil)
)

// New returns a Sender that appends to the file at path, creating it (and
// its directory) on first use. now may be nil for time.Now.
func New(path string, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	return &Sender{path: path, now: now}
}

// Send implements [delivery.Sender].
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return delivery.Receipt{}, err
	}
	e := Entry{Time: s.now().UTC().Truncate(time.Second), ID: msgid.New("outbox-"), To: msg.To, Channel: msg.Channel, Body: msg.Body, Code: msg.Code}
	line, err := json.Marshal(e)
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("outbox: %w", err)
	}
	if err := s.append(append(line, '\n')); err != nil {
		return delivery.Receipt{}, fmt.Errorf("outbox: %w", err)
	}
	return delivery.Receipt{Provider: "outbox", ID: e.ID, Status: "delivered"}, nil
}

func (s *Sender) append(line []byte) error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		// The first message: make the directory (once, not on every send).
		if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
			return err
		}
		f, err = os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockAppend(f); err != nil {
		return fmt.Errorf("lock %s: %w", s.path, err)
	}
	// A writer killed in the middle of its write (SIGKILL can cut a write
	// at a page boundary) leaves a line without its newline: start on a
	// line of our own, so only the killed writer's entry is damaged.
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	return err
}

// Status implements [delivery.StatusChecker]: a message written to the
// outbox is delivered the moment Send returns.
func (s *Sender) Status(ctx context.Context, id string) (delivery.Report, error) {
	if !strings.HasPrefix(id, "outbox-") {
		return delivery.Report{}, fmt.Errorf("outbox: %q is not an outbox message id", id)
	}
	return delivery.Report{State: delivery.StateDelivered, Raw: "delivered"}, nil
}

// Read returns the entries of an outbox file, oldest first.
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Entry
	dec := json.NewDecoder(f)
	for dec.More() {
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return out, fmt.Errorf("outbox %s: entry %d: %w", path, len(out)+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}
