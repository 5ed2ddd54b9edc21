package route

import (
	"fmt"
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/sink/tmpl"
)

// template is a template of internal/sink/tmpl ({app}, {fields.KEY},
// %Y, ...) that may also use {message}, which that package (made for
// paths, index names and headers) does not offer but the keys and values of
// transforms need (the default dedupe key is "{host} {app} {proc}
// {message}").
type template struct {
	// parts are the pieces between {message} placeholders.
	parts []*tmpl.Template
}

func parseTemplate(text string) (*template, error) {
	t := &template{}
	for _, piece := range strings.Split(text, "{message}") {
		p, err := tmpl.Parse(piece)
		if err != nil {
			if strings.Contains(err.Error(), "unknown placeholder") {
				err = fmt.Errorf("%w, and {message}", err)
			}
			if piece != text {
				// The error names the piece; name the template too.
				return nil, fmt.Errorf("in template %q: %w", text, err)
			}
			return nil, err
		}
		t.parts = append(t.parts, p)
	}
	return t, nil
}

// static reports whether the template expands to the same text for every
// event.
func (t *template) static() bool {
	return len(t.parts) == 1 && t.parts[0].Static()
}

// execute appends the expansion for e to dst.
func (t *template) execute(dst []byte, e *event.Event) []byte {
	for i, p := range t.parts {
		if i > 0 {
			dst = append(dst, e.Message...)
		}
		dst = p.Execute(dst, e)
	}
	return dst
}
