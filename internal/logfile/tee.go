package logfile

import "io"

// Tee writes to both writers, the log file and stderr. Unlike
// io.MultiWriter it goes on to the second when the first fails, so a full
// disk does not silence stderr; it fails only when both do.
func Tee(first, second io.Writer) io.Writer { return tee{first, second} }

type tee [2]io.Writer

func (t tee) Write(p []byte) (int, error) {
	_, err1 := t[0].Write(p)
	_, err2 := t[1].Write(p)
	if err1 != nil && err2 != nil {
		return 0, err1
	}
	return len(p), nil
}
