// Command servebase is the reference row of bench/serve.sh: a Go net/http
// server that answers the same two requests as a Verify API with fixed
// JSON, doing nothing else. The load generator and net/http on the same
// CPUs cap what any Go server can do at its figure; the gap between it and
// otp serve is otp's own work.
//
//	servebase -addr 127.0.0.1:18081
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "address to listen on")
	flag.Parse()
	err := http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/healthz":
			fmt.Fprint(w, `{"status":"ok"}`)
		case strings.HasSuffix(r.URL.Path, "/VerificationCheck"):
			fmt.Fprint(w, `{"status":"approved","valid":true}`)
		default:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"sid":"VA0123456789abcdef0123456789abcdef","status":"pending"}`)
		}
	}))
	fmt.Fprintln(os.Stderr, "servebase:", err)
	os.Exit(1)
}
