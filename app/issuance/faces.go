package issuance

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
)

// facePaths returns the PNG paths of the front and back of the job's card
// in dir: job-<job id>-<card serial>-front.png and -back.png.
func facePaths(dir string, j *Job) (front, back string) {
	base := fmt.Sprintf("job-%d-%s", j.ID, fileSafe(serialOf(j)))
	return filepath.Join(dir, base+"-front.png"), filepath.Join(dir, base+"-back.png")
}

// fileSafe replaces each character of s other than an ASCII letter, digit
// or dash with an underscore, for use in a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
			return r
		}
		return '_'
	}, s)
}

// saveFaces writes both faces of the job's card under dir as PNG, each
// through a temporary file renamed into place, so a crash leaves no
// partial image.
func saveFaces(dir string, j *Job, front, back image.Image) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create faces directory %s: %w", dir, err)
	}
	frontPath, backPath := facePaths(dir, j)
	for _, f := range []struct {
		path string
		img  image.Image
	}{{frontPath, front}, {backPath, back}} {
		if f.img == nil {
			continue
		}
		if err := writePNG(f.path, f.img); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
