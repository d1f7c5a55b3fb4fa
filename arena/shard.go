package arena

import (
	"runtime"
	"sync"

	"golang.org/x/sys/cpu"
)

// Shards: the arena's caches of free slots. A goroutine picks one by its stack address, so Alloc
// and Free take one shard lock each and write no word that every goroutine shares.

// fifo is a queue of free slots: reuse is as late as possible, which widens the window in which
// a double free is still detected.
type fifo struct {
	buf  []slotRef
	head int
}

func (q *fifo) len() int { return len(q.buf) - q.head }

func (q *fifo) push(r slotRef) { q.buf = append(q.buf, r) }

func (q *fifo) pop() slotRef {
	r := q.buf[q.head]
	q.buf[q.head] = slotRef{}
	q.head++
	if q.head > 64 && q.head*2 > len(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	return r
}

// shard is one of the arena's free-slot caches; goroutines pick one by a hint of their stack
// address and try-lock, so that goroutines on different cores rarely share one. Each slab belongs
// to one shard: its lock guards the slab's metadata, so Alloc and Free take one lock each and no
// other atomic operation.
type shard struct {
	mu           sync.Mutex
	ready        [numClasses]fifo // wiped slots with intact canaries, ready to hand out
	pending      []slotRef        // freed slots not yet wiped (still protected, never handed out)
	pendingBytes int
	allocs       int64
	frees        int64
	objects      int64
	inUse        int64
	scratch      [canarySize]byte // canaries read through the kernel's view (under mu)
	_            cpu.CacheLinePad // keep shards on separate cache lines
}

// maxShards bounds the shard count: shardHint picks one with this many bits of a hash.
const (
	maxShardBits = 6
	maxShards    = 1 << maxShardBits
)

// shardCount is 4 shards per processor (a power of two, at most maxShards): goroutines are spread
// by a hash of their stack address, and two running goroutines on one shard contend on every Free
// (a Free locks the shard that owns the slot), so collisions must be rare.
func shardCount() int {
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < maxShards {
		n *= 2
	}
	return max(n, 4)
}

func (a *Arena) lockShard() *shard {
	n := len(a.shards)
	h := shardHint()
	for i := 0; i < n; i++ {
		if s := &a.shards[(h+i)&(n-1)]; s.mu.TryLock() {
			return s
		}
	}
	s := &a.shards[h&(n-1)]
	s.mu.Lock()
	return s
}

// shardHint spreads goroutines over shards by their stack address.
// The address is taken above stackGrain, the smallest goroutine stack, so that the frames of one
// goroutine map to one shard; the top bits of its multiplicative hash choose the shard.
func shardHint() int {
	return int(uint64(stackHint()>>stackGrainShift) * goldenHash >> (64 - maxShardBits))
}

// stackGrainShift: 8 KiB, the size goroutine stacks start with.
const stackGrainShift = 13

// borrow returns a shard, locked, that has ready slots of class c, or nil. Slots stay with the
// shard that owns their slab, and a shard cuts its own slabs rather than take another's (which
// would make two goroutines share a lock on every Free); only when the arena cannot grow does an
// allocation take a slot from another shard.
func (a *Arena) borrow(c int) *shard {
	for i := range a.shards {
		o := &a.shards[i]
		o.mu.Lock()
		if o.ready[c].len() > 0 {
			return o
		}
		o.mu.Unlock()
	}
	return nil
}

func (a *Arena) pendingTotal() int {
	total := 0
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		total += s.pendingBytes
		s.mu.Unlock()
	}
	return total
}
