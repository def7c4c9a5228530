package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// mutexProfileFraction samples one contention event in this many: enough
// to find a hot lock in an end-to-end run without slowing it measurably.
const mutexProfileFraction = 5

// profiles are the pprof files a run writes (perf/: `make profile` and the
// PGO profile come from them). The CPU profile covers the whole run; the
// heap and mutex profiles are written at exit, so they show what was live
// then and the contention summed over the run.
type profiles struct {
	cpu, heap, mutex string
	cpuFile          *os.File
}

// start begins the CPU profile and mutex sampling that were asked for.
func (p *profiles) start() error {
	if p.mutex != "" {
		runtime.SetMutexProfileFraction(mutexProfileFraction)
	}
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.cpuFile = f
	return nil
}

// stop ends the CPU profile and writes the heap and mutex profiles.
func (p *profiles) stop() error {
	var errs []error
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		errs = append(errs, p.cpuFile.Close())
	}
	if p.heap != "" {
		runtime.GC() // the heap profile shows what the last GC saw live
		errs = append(errs, writeProfile("heap", p.heap))
	}
	if p.mutex != "" {
		errs = append(errs, writeProfile("mutex", p.mutex))
	}
	return errors.Join(errs...)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--%sprofile: %w", name, err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("--%sprofile: %w", name, err)
	}
	return f.Close()
}
