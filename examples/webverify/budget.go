package main

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// sendBudget limits the sends one session and one client address may ask
// for in a sliding window, in memory. It is a stopgap against a script
// that sends codes to many numbers (each number's own limits do not stop
// that); a public deployment needs a real abuse guard in front of it. The
// counts live in this process only: they start over on a restart and are
// not shared between instances.
type sendBudget struct {
	mu         sync.Mutex
	perSession int // sends per session in the window; < 0: no limit
	perClient  int // sends per client address in the window; < 0: no limit
	window     time.Duration
	hits       map[string][]time.Time // key: "s:" session id or "c:" client address; oldest first
	nextSweep  time.Time
}

func newSendBudget(perSession, perClient int, window time.Duration) *sendBudget {
	return &sendBudget{perSession: perSession, perClient: perClient, window: window, hits: make(map[string][]time.Time)}
}

// The budgets a refusal can come from.
const (
	budgetSession = "session"
	budgetClient  = "client"
)

// take counts one send for the session and the client at now. When either
// budget is spent it counts nothing and returns which one and how long
// until a send leaves the window.
func (b *sendBudget) take(sessionID, client string, now time.Time) (refusedBy string, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	sk, ck := "s:"+sessionID, "c:"+client
	if w, ok := b.full(sk, b.perSession, now); ok {
		return budgetSession, w
	}
	if w, ok := b.full(ck, b.perClient, now); ok {
		return budgetClient, w
	}
	if b.perSession >= 0 {
		b.hits[sk] = append(b.hits[sk], now)
	}
	if b.perClient >= 0 {
		b.hits[ck] = append(b.hits[ck], now)
	}
	return "", 0
}

// refund takes back a send counted by take at the same now, for a send the
// library refused before anything reached the provider.
func (b *sendBudget) refund(sessionID, client string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range []string{"s:" + sessionID, "c:" + client} {
		ts := b.hits[k]
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].Equal(at) {
				ts = append(ts[:i], ts[i+1:]...)
				break
			}
		}
		if len(ts) == 0 {
			delete(b.hits, k)
		} else {
			b.hits[k] = ts
		}
	}
}

// full drops key's sends that left the window and reports whether the
// rest reach limit, and if so how long until the oldest leaves.
func (b *sendBudget) full(key string, limit int, now time.Time) (time.Duration, bool) {
	if limit < 0 {
		return 0, false
	}
	ts := b.live(key, now)
	if len(ts) < limit {
		return 0, false
	}
	if limit == 0 {
		return b.window, true
	}
	return ts[len(ts)-limit].Add(b.window).Sub(now), true
}

// live returns key's sends still in the window at now, forgetting older ones.
func (b *sendBudget) live(key string, now time.Time) []time.Time {
	ts := b.hits[key]
	i := 0
	for i < len(ts) && !now.Before(ts[i].Add(b.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(b.hits, key)
		return nil
	}
	b.hits[key] = ts
	return ts
}

// sweep forgets, once per window, every key whose sends all left it, so
// the map does not grow with every address ever seen.
func (b *sendBudget) sweep(now time.Time) {
	if now.Before(b.nextSweep) {
		return
	}
	b.nextSweep = now.Add(b.window)
	for k := range b.hits {
		b.live(k, now)
	}
}

// clientAddress returns the address the per-client budget counts, from
// the connection's peer address. Only when that peer is one of the trusted
// proxies does it read X-Forwarded-For, and then takes the right-most
// entry that is not itself a trusted proxy (entries to its left are
// whatever the client wrote). An IPv6 client counts by its /64, which one
// subscriber usually holds whole.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	addr := peerAddr(r.RemoteAddr)
	if addr.IsValid() && isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed entry: stop at the last good hop
			}
			addr = a.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64) // cannot fail for an IPv6 address
		return p.String()
	}
	return addr.String()
}

// peerAddr parses a RemoteAddr, "host:port".
func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseProxies reads a comma-separated list of addresses and prefixes
// ("127.0.0.1, 10.0.0.0/8").
func parseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or prefix", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
