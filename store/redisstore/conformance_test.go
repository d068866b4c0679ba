package redisstore

import (
	"fmt"
	"testing"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestConformance(t *testing.T) {
	needRedis(t)
	for _, ap := range []bool{false, true} {
		t.Run(fmt.Sprintf("AutoPipeline=%v", ap), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				return openWith(t, Options{Prefix: testPrefix(t), AutoPipeline: ap})
			})
		})
	}
}
