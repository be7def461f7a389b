package main

// Modes and flags for the shapes a normal service shows over its lifetime (issue 11): a cache
// that fills along a decelerating curve, an idle server with noise, a process that exits after
// a lifetime (a supervisor restarts it), and a steady live heap to start from.
//
//	cachefill  fills a cache towards -cap along cap·(1−e^(−t/tau)): fast at first, then ever slower;
//	           with -onset D it also starts leaking -rate bytes/s (as -mode leak) at uptime D
//	idle       small random allocations, a bounded ring of recent ones, short-lived goroutines
//
//	-lifetime D  exits with status 0 after D (0: never); the supervisor restarts it on the same -addr
//	-ballast N   keeps N bytes of live heap from the start (with any mode)

import (
	"flag"
	"math"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

var (
	tau      = flag.Duration("tau", 12*time.Second, "cachefill: time constant of the approach to -cap")
	lifetime = flag.Duration("lifetime", 0, "exit with status 0 after this long (0: never)")
	ballast  = flag.Int("ballast", 0, "bytes of live heap kept from the start")
	onset    = flag.Duration("onset", 0, "cachefill: start leaking -rate bytes/s at this uptime (0: never)")
)

var ballastData []byte

// lifetimeModes run instead of work() for their mode.
var lifetimeModes = map[string]func(){
	"cachefill": cacheFill,
	"idle":      idle,
}

// startLifetime applies -ballast and -lifetime; called once flags are parsed.
func startLifetime() {
	if *ballast > 0 {
		ballastData = make([]byte, *ballast)
		for i := 0; i < len(ballastData); i += 4096 {
			ballastData[i] = 1
		}
	}
	if *lifetime > 0 {
		time.AfterFunc(*lifetime, func() { os.Exit(0) })
	}
}

func cacheFill() {
	var leaked float64
	for range time.Tick(*tick) {
		churn()
		uptime := time.Since(startTime)
		target := int(float64(*capacity) * (1 - math.Exp(-uptime.Seconds()/tau.Seconds())))
		if n := target - cached; n > 0 {
			fillCache(n)
		}
		if *onset > 0 && uptime > *onset {
			leaked += *rate * tick.Seconds()
			if whole := int(leaked); whole > 0 {
				leaked -= float64(whole)
				store.remember(whole)
			}
		}
	}
}

// idle is a server with no traffic to speak of: a few small allocations per tick, some kept a
// while in a fixed ring (so the live heap wobbles but cannot grow), and now and then a handful of
// goroutines that hold a buffer for a moment and exit.
func idle() {
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var recent [256][]byte
	for range time.Tick(*tick) {
		for i := rng.Intn(8); i > 0; i-- {
			recent[rng.Intn(len(recent))] = make([]byte, 64+rng.Intn(32<<10))
		}
		if rng.Intn(4) == 0 {
			for i := 1 + rng.Intn(5); i > 0; i-- {
				go handle(4<<10+rng.Intn(32<<10), time.Duration(rng.Intn(300))*time.Millisecond)
			}
		}
	}
}

//go:noinline
func handle(n int, hold time.Duration) {
	buf := make([]byte, n)
	time.Sleep(hold)
	runtime.KeepAlive(buf)
}

// memoryLimit is GOMEMLIMIT in bytes, or false when none is set (math.MaxInt64).
func memoryLimit() (float64, bool) {
	limit := debug.SetMemoryLimit(-1)
	return float64(limit), limit < math.MaxInt64
}
