// Command promtarget is a Go service for leakwatch's fleet tests: it exposes client_golang's
// default registry (Go and process collectors) on /metrics and net/http/pprof, and either leaks
// (-mode leak: keeps -rate bytes/s in main.(*cache).hold, never freed) or not (-mode steady);
// both churn garbage so the GC cycles as in a serving program. It prints "LISTENING <addr>" on stdout once it serves.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var (
	mode      = flag.String("mode", "steady", "steady|leak")
	rate      = flag.Int("rate", 1<<20, "bytes/s kept by -mode leak")
	churnRate = flag.Int("churn", 20<<20, "bytes/s of garbage in every mode (keeps GC cycling, as a serving program does)")
	addr      = flag.String("addr", "127.0.0.1:0", "listen address")
	tick      = flag.Duration("tick", 100*time.Millisecond, "work tick")
)

type cache struct {
	mu    sync.Mutex
	items [][]byte
}

//go:noinline
func (c *cache) hold(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = append(c.items, make([]byte, n))
}

var (
	kept = &cache{}
	sink []byte
)

//go:noinline
func churn(n int) {
	for i := 0; i < 16; i++ {
		sink = make([]byte, n/16)
	}
}

func main() {
	flag.Parse()
	runtime.MemProfileRate = 64 << 10
	http.Handle("/metrics", promhttp.Handler())
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	go func() {
		per := int(float64(*rate) * tick.Seconds())
		garbage := int(float64(*churnRate) * tick.Seconds())
		for range time.Tick(*tick) {
			if *mode == "leak" {
				kept.hold(per)
			}
			churn(garbage)
		}
	}()
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
