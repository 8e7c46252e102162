package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// A floor under the heap goal. qunzhu keeps a few MB live (its state is on
// disk), and Go's default (GOGC=100) collects whenever the heap doubles: with
// 3 MB live, every 3 MB allocated. Under webhook load that was 25–30
// collections a second, each stopping the world and costing ~4 ms of CPU
// (GODEBUG=gctrace=1 during bench/webhook.sh). The tuner raises GOGC so the
// goal is at least heapFloor above the live heap, re-deciding after every
// collection; once the live heap is a heapFloor or more, GOGC is Go's 100
// again, so a big heap grows exactly as by default. GOGC or GOMEMLIMIT in the
// environment mean the operator decides: the tuner stays off.
const (
	heapFloor    = 32 << 20
	maxGCPercent = 2000 // the floor's GOGC for a live heap of ~1.6 MB or less
)

// startGCTuner starts the tuner unless the environment set GOGC or GOMEMLIMIT.
func startGCTuner(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	t := &gcTuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: 100}
	t.tune()
	t.arm()
	return true
}

type gcTuner struct {
	sample  []metrics.Sample
	percent int
}

// sentinel is garbage the moment it is made; its finalizer runs after the
// collection that found it, once per cycle. It holds a pointer and is larger
// than 16 bytes so the tiny allocator never batches it with live objects.
type sentinel struct {
	_ *int
	_ [16]byte
}

func (t *gcTuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		t.tune()
		t.arm()
	})
}

// gcPercentFor is the GOGC that puts the goal heapFloor above live, never
// below Go's 100 nor above maxGCPercent.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(max(uint64(heapFloor)*100/live, 100), maxGCPercent))
}

func (t *gcTuner) tune() {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	p := gcPercentFor(t.sample[0].Value.Uint64())
	// Small moves are not worth the heap lock SetGCPercent takes.
	if p*10 < t.percent*9 || p*10 > t.percent*11 {
		t.percent = p
		debug.SetGCPercent(p)
	}
}
