package memstore_test

import (
	"testing"

	"github.com/otpkit/otpkit/store"
	"github.com/otpkit/otpkit/store/memstore"
	"github.com/otpkit/otpkit/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestDocConformance(t *testing.T) {
	storetest.RunDocs(t, func(t *testing.T) store.Store { return memstore.New() })
}
