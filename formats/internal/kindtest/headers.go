package kindtest

import (
	"slices"
	"testing"

	"github.com/bulkload/bulk/formats/internal/payloadcsv"
	"github.com/bulkload/bulk/pipeline"
)

// VendorHeaders checks that a CSV payload's header (from the struct tags of T) and the kind's
// field names are both exactly the vendor table's columns, in its order and spelling.
func VendorHeaders[T any](t *testing.T, k *pipeline.Kind, vendor []string) {
	t.Helper()
	hdr, err := payloadcsv.Header[T]()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hdr, vendor) {
		t.Errorf("payload header (from the struct tags)\n got %q\nwant %q", hdr, vendor)
	}
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, vendor) {
		t.Errorf("kind field names\n got %q\nwant %q", names, vendor)
	}
}
