package engine

import lru "github.com/hashicorp/golang-lru/v2"

// mustLRU is a least-recently-used cache of at most size entries: every
// cache a definition can fill (compiled forms, schemas, patterns) is bounded
// so that many definitions, or one hostile one, cannot grow a worker without
// end.
func mustLRU[K comparable, V any](size int) *lru.Cache[K, V] {
	c, err := lru.New[K, V](size)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}
