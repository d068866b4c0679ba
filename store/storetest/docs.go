package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/otpkit/otpkit/store"
)

// RunDocs runs the conformance suite of [store.DocStore] against stores
// made by open, which must implement it.
func RunDocs(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d store.DocStore)
	}{
		{"GetPut", testDocGetPut},
		{"KindsAreIndependent", testDocKinds},
		{"Delete", testDocDelete},
		{"Swap", testDocSwap},
		{"List", testDocList},
		{"ConcurrentSwapsNoneLost", testDocConcurrentSwap},
		{"ConcurrentCreateOnce", testDocConcurrentCreate},
		{"BadKeys", testDocBadKeys},
		{"CanceledContext", testDocCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			d, ok := s.(store.DocStore)
			if !ok {
				t.Fatalf("%T does not implement store.DocStore", s)
			}
			tc.fn(t, d)
		})
	}
	t.Run("Closed", func(t *testing.T) {
		s := open(t)
		d := s.(store.DocStore)
		if err := d.PutDoc(context.Background(), "k", "a", []byte("1")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		ctx := context.Background()
		_, gerr := d.GetDoc(ctx, "k", "a")
		perr := d.PutDoc(ctx, "k", "a", []byte("2"))
		_, serr := d.SwapDoc(ctx, "k", "a", []byte("1"), []byte("2"))
		derr := d.DeleteDoc(ctx, "k", "a")
		_, lerr := d.ListDocs(ctx, "k", "", 10)
		for i, err := range []error{gerr, perr, serr, derr, lerr} {
			if !errors.Is(err, store.ErrClosed) {
				t.Errorf("call %d after Close: %v, want ErrClosed", i, err)
			}
		}
	})
}

func getDoc(t *testing.T, d store.DocStore, kind, id string) string {
	t.Helper()
	v, err := d.GetDoc(context.Background(), kind, id)
	if err != nil {
		t.Fatalf("GetDoc(%s, %s): %v", kind, id, err)
	}
	return string(v)
}

func wantNotFound(t *testing.T, d store.DocStore, kind, id string) {
	t.Helper()
	v, err := d.GetDoc(context.Background(), kind, id)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetDoc(%s, %s) = %q, %v; want ErrNotFound", kind, id, v, err)
	}
}

func testDocGetPut(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	wantNotFound(t, d, "service", "VA1")
	if err := d.PutDoc(ctx, "service", "VA1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	v, err := d.GetDoc(ctx, "service", "VA1")
	if err != nil || string(v) != `{"a":1}` {
		t.Fatalf("GetDoc = %q, %v", v, err)
	}
	v[0] = 'X' // the caller's copy
	if got := getDoc(t, d, "service", "VA1"); got != `{"a":1}` {
		t.Fatalf("changing the returned slice changed the store: %q", got)
	}
	if err := d.PutDoc(ctx, "service", "VA1", []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	if got := getDoc(t, d, "service", "VA1"); got != `{"a":2}` {
		t.Fatalf("after a second PutDoc: %q", got)
	}
	big := make([]byte, store.MaxDocSize+1)
	if err := d.PutDoc(ctx, "service", "VA2", big); err == nil {
		t.Fatal("a document over MaxDocSize was kept")
	}
	wantNotFound(t, d, "service", "VA2")
}

func testDocKinds(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	if err := d.PutDoc(ctx, "a", "x", []byte("in a")); err != nil {
		t.Fatal(err)
	}
	if err := d.PutDoc(ctx, "ab", "x", []byte("in ab")); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, d, "b", "x")
	if getDoc(t, d, "a", "x") != "in a" || getDoc(t, d, "ab", "x") != "in ab" {
		t.Fatal("kinds share documents")
	}
	l, err := d.ListDocs(ctx, "a", "", 10)
	if err != nil || len(l) != 1 || string(l[0].Data) != "in a" {
		t.Fatalf("ListDocs(a) = %v, %v", l, err)
	}
}

func testDocDelete(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	if err := d.DeleteDoc(ctx, "k", "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteDoc of nothing: %v, want ErrNotFound", err)
	}
	d.PutDoc(ctx, "k", "a", []byte("1"))
	d.PutDoc(ctx, "k", "b", []byte("2"))
	if err := d.DeleteDoc(ctx, "k", "a"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, d, "k", "a")
	if err := d.DeleteDoc(ctx, "k", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteDoc: %v, want ErrNotFound", err)
	}
	l, err := d.ListDocs(ctx, "k", "", 10)
	if err != nil || len(l) != 1 || l[0].ID != "b" {
		t.Fatalf("ListDocs after a delete = %v, %v", l, err)
	}
}

func testDocSwap(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	swap := func(old, doc []byte, want bool) {
		t.Helper()
		ok, err := d.SwapDoc(ctx, "k", "a", old, doc)
		if err != nil || ok != want {
			t.Fatalf("SwapDoc(%q -> %q) = %v, %v; want %v", old, doc, ok, err, want)
		}
	}
	swap([]byte("x"), []byte("1"), false) // nothing there, old given
	wantNotFound(t, d, "k", "a")
	swap(nil, []byte("1"), true) // create
	swap(nil, []byte("2"), false)
	swap([]byte("2"), []byte("3"), false)
	if got := getDoc(t, d, "k", "a"); got != "1" {
		t.Fatalf("after refused swaps: %q", got)
	}
	swap([]byte("1"), []byte("2"), true)
	swap([]byte("2"), []byte{}, true) // an empty document is a document
	if got := getDoc(t, d, "k", "a"); got != "" {
		t.Fatalf("empty document: %q", got)
	}
	swap(nil, []byte("4"), false)
	swap([]byte{}, nil, true) // delete
	wantNotFound(t, d, "k", "a")
	if l, err := d.ListDocs(ctx, "k", "", 10); err != nil || len(l) != 0 {
		t.Fatalf("ListDocs after a swap to nil = %v, %v", l, err)
	}
	swap(nil, []byte("5"), true) // and back
	if l, err := d.ListDocs(ctx, "k", "", 10); err != nil || len(l) != 1 || string(l[0].Data) != "5" {
		t.Fatalf("ListDocs after a swap create = %v, %v", l, err)
	}
}

func testDocList(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("VA%02d", 24-i) // put out of order
		want = append([]string{id}, want...)
		if err := d.PutDoc(ctx, "service", id, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	d.PutDoc(ctx, "verification", "VE00", []byte("other kind"))
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		l, err := d.ListDocs(ctx, "service", after, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range l {
			if string(doc.Data) != doc.ID {
				t.Fatalf("doc %s holds %q", doc.ID, doc.Data)
			}
			got = append(got, doc.ID)
		}
		if len(l) < 10 {
			if pages != 2 {
				t.Fatalf("%d full pages, want 2", pages)
			}
			break
		}
		after = l[len(l)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("listed\n%v\nwant\n%v", got, want)
	}
	l, err := d.ListDocs(ctx, "service", "VA10", 3)
	if err != nil || len(l) != 3 || l[0].ID != "VA11" || l[2].ID != "VA13" {
		t.Fatalf("ListDocs(after VA10, 3) = %v, %v", l, err)
	}
	if l, err := d.ListDocs(ctx, "service", "VA24", 3); err != nil || len(l) != 0 {
		t.Fatalf("ListDocs after the last = %v, %v", l, err)
	}
	if _, err := d.ListDocs(ctx, "service", "", 0); err == nil {
		t.Fatal("ListDocs with limit 0 succeeded")
	}
}

// testDocConcurrentSwap: many clients increment one counter with
// read-SwapDoc loops; no increment is lost.
func testDocConcurrentSwap(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	if err := d.PutDoc(ctx, "counter", "c", []byte("0")); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for {
					old, err := d.GetDoc(ctx, "counter", "c")
					if err != nil {
						errc <- err
						return
					}
					n, _ := strconv.Atoi(string(old))
					ok, err := d.SwapDoc(ctx, "counter", "c", old, []byte(strconv.Itoa(n+1)))
					if err != nil {
						errc <- err
						return
					}
					if ok {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if got := getDoc(t, d, "counter", "c"); got != strconv.Itoa(workers*each) {
		t.Fatalf("counter %s, want %d: increments were lost", got, workers*each)
	}
}

// testDocConcurrentCreate: of many creates of one id, exactly one wins.
func testDocConcurrentCreate(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := d.SwapDoc(ctx, "k", "once", nil, []byte(strconv.Itoa(i)))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d creates won, want 1", won)
	}
}

func testDocBadKeys(t *testing.T, d store.DocStore) {
	ctx := context.Background()
	for _, k := range []struct{ kind, id string }{
		{"", "a"}, {"Kind", "a"}, {"k:x", "a"}, {"k", ""}, {"k", "a b"}, {"k", "a{b}"}, {"k", "a\nb"},
		{"k", string(make([]byte, store.MaxDocID+1))},
	} {
		if err := d.PutDoc(ctx, k.kind, k.id, []byte("x")); err == nil {
			t.Errorf("PutDoc(%q, %q) succeeded", k.kind, k.id)
		}
		if _, err := d.GetDoc(ctx, k.kind, k.id); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDoc(%q, %q): %v, want a key error", k.kind, k.id, err)
		}
	}
}

func testDocCanceled(t *testing.T, d store.DocStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.PutDoc(ctx, "k", "a", []byte("1")); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutDoc with a canceled context: %v", err)
	}
	wantNotFound(t, d, "k", "a")
}
