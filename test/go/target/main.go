// Command target is a Go service for leakwatch's tests: it serves net/http/pprof, expvar and a
// client_golang-style /metrics, and misbehaves (or not) according to -mode.
//
//	steady     churns garbage at a constant live heap (GC sawtooth only)
//	leak       keeps -rate bytes/s in main.(*sessionStore).remember, never freed
//	goroutines parks -rate goroutines/s in main.subscribe, never woken
//	mmap       maps and touches -rate bytes/s outside the Go heap (syscall.Mmap)
//	plateau    fills a cache at -rate bytes/s up to -cap bytes, then stops
//	batch      every -period allocates -cap bytes in main.runBatch and frees it
//	cachefill, idle, and -lifetime, -ballast: see lifetimes.go
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
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	mode     = flag.String("mode", "steady", "steady|leak|goroutines|mmap|plateau|batch|cachefill|idle")
	rate     = flag.Float64("rate", 1<<20, "bytes/s (leak, mmap, plateau) or goroutines/s (goroutines)")
	capacity = flag.Int("cap", 8<<20, "plateau cache size / batch size in bytes")
	period   = flag.Duration("period", 3*time.Second, "batch period")
	addr     = flag.String("addr", "127.0.0.1:0", "listen address")
	memRate  = flag.Int("memprofilerate", 64<<10, "runtime.MemProfileRate")
	tick     = flag.Duration("tick", 100*time.Millisecond, "work tick")
)

type session struct {
	id   int
	data []byte
}

type sessionStore struct {
	mu       sync.Mutex
	sessions map[int]*session
	next     int
}

//go:noinline
func (s *sessionStore) remember(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.sessions[s.next] = &session{id: s.next, data: make([]byte, n)}
}

var (
	store   = &sessionStore{sessions: map[int]*session{}}
	cache   [][]byte
	cached  int
	mapped  [][]byte
	sink    []byte
	blocker = make(chan struct{})
)

//go:noinline
func subscribe(topic int) {
	<-blocker
	_ = topic
}

//go:noinline
func churn() {
	for i := 0; i < 64; i++ {
		sink = make([]byte, 16<<10)
	}
}

//go:noinline
func fillCache(n int) {
	cache = append(cache, make([]byte, n))
	cached += n
}

//go:noinline
func runBatch(n int) {
	chunks := make([][]byte, 0, n/(64<<10)+1)
	for left := n; left > 0; left -= 64 << 10 {
		chunks = append(chunks, make([]byte, 64<<10))
	}
	time.Sleep(300 * time.Millisecond)
	_ = chunks
}

func mapOffHeap(n int) {
	page := os.Getpagesize()
	n = (n + page - 1) / page * page
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mmap:", err)
		return
	}
	for i := 0; i < n; i += page {
		b[i] = 1
	}
	mapped = append(mapped, b)
}

func work() {
	perTick := *rate * tick.Seconds()
	var acc float64
	lastBatch := time.Now()
	for range time.Tick(*tick) {
		churn()
		acc += perTick
		whole := int(acc)
		acc -= float64(whole)
		switch *mode {
		case "leak":
			if whole > 0 {
				store.remember(whole)
			}
		case "goroutines":
			for i := 0; i < whole; i++ {
				go subscribe(i)
			}
		case "mmap":
			if whole > 0 {
				mapOffHeap(whole)
			}
		case "plateau":
			if whole > 0 && cached < *capacity {
				fillCache(whole)
			}
		case "batch":
			if time.Since(lastBatch) >= *period {
				lastBatch = time.Now()
				go runBatch(*capacity)
			}
		}
	}
}

var startTime = time.Now()

// metrics writes the client_golang Go and process collector metrics we read (go-formats.md §4.5).
func metrics(w http.ResponseWriter, _ *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	g := func(name, help, typ string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, typ, name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	g("go_goroutines", "Number of goroutines that currently exist.", "gauge", float64(runtime.NumGoroutine()))
	g("go_memstats_alloc_bytes", "Number of bytes allocated and still in use.", "gauge", float64(m.Alloc))
	g("go_memstats_alloc_bytes_total", "Total number of bytes allocated, even if freed.", "counter", float64(m.TotalAlloc))
	g("go_memstats_sys_bytes", "Number of bytes obtained from system.", "gauge", float64(m.Sys))
	g("go_memstats_mallocs_total", "Total number of mallocs.", "counter", float64(m.Mallocs))
	g("go_memstats_frees_total", "Total number of frees.", "counter", float64(m.Frees))
	g("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", "gauge", float64(m.HeapAlloc))
	g("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", "gauge", float64(m.HeapSys))
	g("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", "gauge", float64(m.HeapIdle))
	g("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", "gauge", float64(m.HeapInuse))
	g("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", "gauge", float64(m.HeapReleased))
	g("go_memstats_heap_objects", "Number of allocated objects.", "gauge", float64(m.HeapObjects))
	g("go_memstats_stack_inuse_bytes", "Number of bytes in use by the stack allocator.", "gauge", float64(m.StackInuse))
	g("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", "gauge", float64(m.StackSys))
	g("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures.", "gauge", float64(m.MSpanInuse))
	g("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system.", "gauge", float64(m.MSpanSys))
	g("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures.", "gauge", float64(m.MCacheInuse))
	g("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system.", "gauge", float64(m.MCacheSys))
	g("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table.", "gauge", float64(m.BuckHashSys))
	g("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata.", "gauge", float64(m.GCSys))
	g("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations.", "gauge", float64(m.OtherSys))
	g("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", "gauge", float64(m.NextGC))
	g("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", "gauge", float64(m.LastGC)/1e9)
	fmt.Fprintf(w, "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds_sum %g\ngo_gc_duration_seconds_count %d\n", float64(m.PauseTotalNs)/1e9, m.NumGC)
	fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
	if rss, ok := residentBytes(); ok {
		g("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", rss)
	}
	if limit, ok := memoryLimit(); ok {
		g("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64.", "gauge", limit)
	}
	g("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", float64(startTime.UnixNano())/1e9)
}

func residentBytes() (float64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()), err == nil
}

func main() {
	flag.Parse()
	runtime.MemProfileRate = *memRate
	http.HandleFunc("/metrics", metrics)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	startLifetime()
	if run, ok := lifetimeModes[*mode]; ok {
		go run()
	} else {
		go work()
	}
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
