// Command ccallback reports gid.Current for callbacks into Go from threads that C created, for
// TestCallbacksFromCThreads: two threads alive at once call back twice each (a barrier between
// their calls), then, once both ended, a third thread calls back twice. Each line is
// "thread identifier".
package main

/*
#include <pthread.h>

extern void report(int);

static pthread_barrier_t both;

static void *twice(void *arg) {
	int n = (int)(long)arg;
	report(n);
	if (n < 3) pthread_barrier_wait(&both);
	report(n);
	return 0;
}

static void run(void) {
	pthread_t a, b, c;
	pthread_barrier_init(&both, 0, 2);
	pthread_create(&a, 0, twice, (void *)1L);
	pthread_create(&b, 0, twice, (void *)2L);
	pthread_join(a, 0);
	pthread_join(b, 0);
	pthread_create(&c, 0, twice, (void *)3L);
	pthread_join(c, 0);
}
*/
import "C"

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/gid"
)

//export report
func report(thread C.int) { fmt.Println(thread, gid.Current()) }

func main() { C.run() }
