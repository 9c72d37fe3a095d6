// The Go toolchain's test of tests/integration/test_focus.py: one test that
// fetches a page from the test's nginx ($FETCH_URL) and writes it to a
// temporary file ($TMPDIR/fetch-*.html), under `go test`.
package fetch

import (
	"io"
	"net/http"
	"os"
	"testing"
)

func TestFetch(t *testing.T) {
	resp, err := http.Get(os.Getenv("FETCH_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	f, err := os.CreateTemp("", "fetch-*.html")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
