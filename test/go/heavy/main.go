// Command heavy is a Go service for leakwatch's overhead bench (`npm run bench:overhead`): it holds
// -stacks distinct allocation stacks in its heap profile and parks -goroutines goroutines, and
// serves net/http/pprof, expvar and a Prometheus /metrics with client_golang's metric names.
//
// /metrics is a small exposition of runtime.ReadMemStats (client_golang cannot be vendored
// offline). ReadMemStats stops the world, as client_golang's memstats collector did before it moved
// to runtime/metrics, so its cost is that of the older client and an upper bound for the newer one.
//
// It prints "LISTENING <addr>" on stdout once it serves.
package main

import (
	_ "expvar"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"time"
)

var (
	stacks     = flag.Int("stacks", 20000, "distinct allocation stacks kept live in the heap profile")
	goroutines = flag.Int("goroutines", 20000, "parked goroutines")
	addr       = flag.String("addr", "127.0.0.1:0", "listen address")
)

// Depth of the a/b call tree: 2^depth distinct paths, enough for -stacks.
const depth = 16

var (
	kept  [][]byte
	block = make(chan struct{})
)

// a and b each call one of the two on the next bit of i, so every i below 2^depth allocates from
// its own call stack (the frames' return addresses differ by path).
//
//go:noinline
func a(i, d int) {
	if d == 0 {
		kept = append(kept, make([]byte, 64))
		return
	}
	if i&1 == 0 {
		a(i>>1, d-1)
	} else {
		b(i>>1, d-1)
	}
}

//go:noinline
func b(i, d int) {
	if d == 0 {
		kept = append(kept, make([]byte, 64))
		return
	}
	if i&1 == 0 {
		a(i>>1, d-1)
	} else {
		b(i>>1, d-1)
	}
}

//go:noinline
func parked() {
	<-block
}

func metrics(w http.ResponseWriter, _ *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	g := func(name, typ string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, name, name, typ, name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	g("go_goroutines", "gauge", float64(runtime.NumGoroutine()))
	g("go_threads", "gauge", 0)
	g("go_memstats_alloc_bytes", "gauge", float64(m.Alloc))
	g("go_memstats_alloc_bytes_total", "counter", float64(m.TotalAlloc))
	g("go_memstats_sys_bytes", "gauge", float64(m.Sys))
	g("go_memstats_lookups_total", "counter", float64(m.Lookups))
	g("go_memstats_mallocs_total", "counter", float64(m.Mallocs))
	g("go_memstats_frees_total", "counter", float64(m.Frees))
	g("go_memstats_heap_alloc_bytes", "gauge", float64(m.HeapAlloc))
	g("go_memstats_heap_sys_bytes", "gauge", float64(m.HeapSys))
	g("go_memstats_heap_idle_bytes", "gauge", float64(m.HeapIdle))
	g("go_memstats_heap_inuse_bytes", "gauge", float64(m.HeapInuse))
	g("go_memstats_heap_released_bytes", "gauge", float64(m.HeapReleased))
	g("go_memstats_heap_objects", "gauge", float64(m.HeapObjects))
	g("go_memstats_stack_inuse_bytes", "gauge", float64(m.StackInuse))
	g("go_memstats_stack_sys_bytes", "gauge", float64(m.StackSys))
	g("go_memstats_mspan_inuse_bytes", "gauge", float64(m.MSpanInuse))
	g("go_memstats_mspan_sys_bytes", "gauge", float64(m.MSpanSys))
	g("go_memstats_mcache_inuse_bytes", "gauge", float64(m.MCacheInuse))
	g("go_memstats_mcache_sys_bytes", "gauge", float64(m.MCacheSys))
	g("go_memstats_buck_hash_sys_bytes", "gauge", float64(m.BuckHashSys))
	g("go_memstats_gc_sys_bytes", "gauge", float64(m.GCSys))
	g("go_memstats_other_sys_bytes", "gauge", float64(m.OtherSys))
	g("go_memstats_next_gc_bytes", "gauge", float64(m.NextGC))
	g("go_memstats_last_gc_time_seconds", "gauge", float64(m.LastGC)/1e9)
	g("go_memstats_gc_cpu_fraction", "gauge", m.GCCPUFraction)
	fmt.Fprintf(w, "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n# TYPE go_gc_duration_seconds summary\n")
	for _, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		fmt.Fprintf(w, "go_gc_duration_seconds{quantile=%q} 0\n", q)
	}
	fmt.Fprintf(w, "go_gc_duration_seconds_sum %g\ngo_gc_duration_seconds_count %d\n", float64(m.PauseTotalNs)/1e9, m.NumGC)
	fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
	g("process_start_time_seconds", "gauge", float64(startTime.UnixNano())/1e9)
}

var startTime = time.Now()

func main() {
	// Every allocation is recorded while the stacks are built, then the default rate comes back so
	// serving requests costs what it costs in production.
	runtime.MemProfileRate = 1
	flag.Parse()
	if *stacks > 1<<depth {
		fmt.Fprintf(os.Stderr, "-stacks is at most %d\n", 1<<depth)
		os.Exit(2)
	}
	for i := 0; i < *stacks; i++ {
		a(i, depth)
	}
	runtime.MemProfileRate = 512 * 1024
	for i := 0; i < *goroutines; i++ {
		go parked()
	}
	// The heap profile shows allocations as of the last completed GC.
	runtime.GC()
	runtime.GC()
	http.HandleFunc("/metrics", metrics)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
