package markdown_test

import (
	"runtime"
	"syscall"
	"time"
)

// rusageThread asks getrusage for the calling thread only (RUSAGE_THREAD in Linux).
const rusageThread = 1

// cpuTime returns the processor time fn takes on its thread, so that other work on a
// busy machine does not count. The collector's background workers, on other threads,
// do not count either.
func cpuTime(fn func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	fn()
	return threadCPU() - start
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
