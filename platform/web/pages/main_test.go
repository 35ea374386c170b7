package pages_test

import (
	"testing"

	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, temporalenv.Stop)
}
