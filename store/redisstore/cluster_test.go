package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/storetest"
)

// startCluster starts a Redis Cluster of three masters on loopback, in the
// test's temporary directory, and stops it when the test ends. It needs
// redis-server and redis-cli on PATH (.ci/redis.sh installs them): without
// them the test skips, or fails in CI.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := fmt.Sprintf("%s is not on PATH; install redis-server (.ci/redis.sh does)", bin)
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s; CI must run the Redis tests", msg)
			}
			t.Skip(msg)
		}
	}
	var addrs []string
	for i, port := range freePorts(t, 3) {
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", dir,
			"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "log"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	ctx := context.Background()
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		waitFor(t, "redis-server on "+a, func() bool { return c.Ping(ctx).Err() == nil })
		c.Close()
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...),
		"--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		waitFor(t, "cluster state ok on "+a, func() bool {
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		c.Close()
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	return c
}

// freePorts finds n loopback ports that are free, each with its cluster
// bus port (port+10000) free too.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		p := 20000 + rand.IntN(10000)
		ok := true
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			ports = append(ports, p)
		}
	}
	if len(ports) < n {
		t.Fatal("no free loopback ports for the cluster")
	}
	return ports
}

// waitFor polls cond for up to 20 s. It waits for servers to start; it
// asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCluster runs the conformance suite on a Redis Cluster, and a purge
// whose records are spread over all its masters.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := startCluster(t)
	ctx := context.Background()
	n := 0
	storetest.Run(t, func(t *testing.T) store.Store {
		n++
		s, err := Open(ctx, Options{Client: c, Prefix: fmt.Sprintf("otp%d:", n), AutoPipeline: n%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	t.Run("Docs", func(t *testing.T) {
		storetest.RunDocs(t, func(t *testing.T) store.Store {
			n++
			s, err := Open(ctx, Options{Client: c, Prefix: fmt.Sprintf("otp%d:", n), AutoPipeline: n%2 == 0})
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})

	t.Run("PurgeAllMasters", func(t *testing.T) {
		s, err := Open(ctx, Options{Client: c, Prefix: "purge:"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		const records = 300
		for i := range records {
			res, err := s.Issue(ctx, store.IssueRequest{Number: fmt.Sprintf("+1201555%04d", i), Hash: hash("c"),
				Now: base, ExpiresAt: base.Add(time.Minute), Policy: policy})
			if err != nil || res.Outcome != store.Issued {
				t.Fatalf("Issue = %v, %v", res.Outcome, err)
			}
		}
		// The keys really are spread over the masters.
		var masters atomic.Int32 // ForEachMaster runs fn on every master at once
		err = c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, _, err := m.Scan(ctx, 0, s.pattern(), 1000).Result()
			if len(keys) > 0 {
				masters.Add(1)
			}
			return err
		})
		if err != nil || masters.Load() != 3 {
			t.Fatalf("records on %d masters (%v), want 3", masters.Load(), err)
		}
		got, err := s.Purge(ctx, store.PurgeRequest{Now: base.Add(2 * time.Hour), Policy: policy})
		if err != nil || got != records {
			t.Fatalf("Purge = %d, %v; want %d", got, err, records)
		}
		for i := range records {
			if _, ok, err := s.Get(ctx, fmt.Sprintf("+1201555%04d", i)); ok || err != nil {
				t.Fatalf("record %d after purge: ok %v, err %v", i, ok, err)
			}
		}
	})
}
