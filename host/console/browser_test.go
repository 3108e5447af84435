package console

import (
	"bytes"
	"image"
	"image/png"
	"net/http/httptest"
	"testing"

	"github.com/openoma/openoma/host/inbox"
	"github.com/openoma/openoma/host/internal/browsertest"
)

// The console in a real browser, behind the inbox's session and CSP: the
// stylesheet passes the CSP (badges take the state colours), the graph is
// drawn inline, and a screenshot's pixels show nodes filled green
// (completed) and blue (in progress).
func TestConsoleInChromium(t *testing.T) {
	cons, _, id := newTestConsole(t)
	const secret = "console-test-secret"
	srv := httptest.NewServer(inbox.New(inbox.Options{Secret: secret, Console: cons}))
	t.Cleanup(srv.Close)
	b := browsertest.Start(t)

	b.Navigate(srv.URL + "/executions?token=" + secret)
	b.Until("the list of executions", `location.pathname == "/executions" && location.search == "" && document.querySelector("#runs") != null`)
	b.Navigate(srv.URL + "/executions/" + id.String())
	b.Until("the flow graph", `document.querySelector("figure.graph svg") != null`)

	var badge string
	b.Eval(`getComputedStyle(document.querySelector("#state")).backgroundColor`, &badge)
	if badge != "rgb(21, 101, 192)" { // #1565c0: the stylesheet loaded under the CSP
		t.Errorf("state badge background %q, want the in-progress blue", badge)
	}
	var nodes int
	b.Eval(`document.querySelectorAll("figure.graph svg g.node").length`, &nodes)
	if nodes != 4 { // start + three nodes
		t.Errorf("graph has %d nodes, want 4", nodes)
	}
	shot := b.Screenshot("console-execution")
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	green := countNear(img, 0x2e, 0x7d, 0x32)
	blue := countNear(img, 0x15, 0x65, 0xc0)
	t.Logf("screenshot %v: %d green, %d blue pixels", img.Bounds().Size(), green, blue)
	// Two completed nodes, one running node, plus badges and legend: each
	// node box is well over a thousand pixels.
	if green < 2000 {
		t.Errorf("%d pixels of the completed green, want the two completed nodes filled", green)
	}
	if blue < 1000 {
		t.Errorf("%d pixels of the in-progress blue, want the running node filled", blue)
	}
}

// countNear counts the pixels within a small distance of a colour.
func countNear(img image.Image, r, g, b uint8) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr>>8, r) && near(pg>>8, g) && near(pb>>8, b) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d > -8 && d < 8
}
