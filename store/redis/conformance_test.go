package redisstore

import (
	"testing"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestConformance(t *testing.T) {
	needRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, testPrefix(t))
	})
}
