package guard

import (
	"os"
	"testing"
)

// TestMain lets the flood benchmark re-run this test binary as a separate
// gateway process, so its CPU and memory are measured apart from the load
// generator.
func TestMain(m *testing.M) {
	if os.Getenv(floodServerEnv) != "" {
		os.Exit(runFloodServer())
	}
	os.Exit(m.Run())
}
