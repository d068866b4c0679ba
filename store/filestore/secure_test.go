//go:build unix

package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	held, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = OpenContext(ctx, path, &Options{LockTimeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenContext on a held lock with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestPlantedFilesRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"symlink lock", func(t *testing.T, path string) {
			os.Symlink(filepath.Join(filepath.Dir(path), "target"), path+".lock")
		}},
		{"symlink store", func(t *testing.T, path string) {
			os.Symlink(filepath.Join(filepath.Dir(path), "target"), path)
		}},
		{"0666 lock", func(t *testing.T, path string) {
			os.WriteFile(path+".lock", nil, 0o600)
			os.Chmod(path+".lock", 0o666)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			tc.plant(t, path)
			s, err := Open(path, nil)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, ErrInsecure) {
				t.Fatalf("Open: %v, want ErrInsecure", err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), "target")); err == nil {
				t.Fatal("a file was created through the planted link")
			}
		})
	}
	t.Run("0666 key", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a.db")
		os.WriteFile(path+".key", []byte("00"), 0o600)
		os.Chmod(path+".key", 0o666)
		if _, err := loadKey(path + ".key"); !errors.Is(err, ErrInsecure) {
			t.Fatalf("loadKey: %v, want ErrInsecure", err)
		}
	})
}
