package console_test

import (
	"os"
	"path/filepath"
	"testing"

	bt "github.com/carepath/carepath/internal/browsertest"
)

// TestConsoleScreenshots takes the README's pictures from the demo data: the cliff-edge
// view as the team manager sees it and a young person's timeline as their adviser does.
// It always runs (into a temporary directory); -screenshots writes docs/screenshots.
func TestConsoleScreenshots(t *testing.T) {
	s := demoSite(t)
	dir := t.TempDir()
	if *screenshots {
		dir = screenshotPath("")
	}
	amani := s.youngPerson(t, "Amani")

	manager := s.signIn(t, "tess-manager")
	bt.Navigate(t, manager, s.base+"/app/cliff-edge?population=turning-18&within=365&sort=rating")
	bt.WaitVisible(t, manager, "#cliff-edge")
	bt.Screenshot(t, manager, filepath.Join(dir, "cliff-edge.png"))
	bt.Navigate(t, manager, s.base+"/app/board")
	bt.WaitVisible(t, manager, "#measures")
	bt.ScreenshotOf(t, manager, "main", filepath.Join(dir, "board.png"))

	adviser := s.signIn(t, "sam-okoro")
	bt.Navigate(t, adviser, s.base+"/app/young-people/"+amani)
	bt.WaitVisible(t, adviser, "#timeline svg")
	bt.ScreenshotOf(t, adviser, "#overview", filepath.Join(dir, "young-person.png"))

	for _, name := range []string{"cliff-edge.png", "young-person.png", "board.png"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() < 10_000 {
			t.Errorf("%s is %d bytes: not a picture of a page", name, fi.Size())
		}
	}
}
