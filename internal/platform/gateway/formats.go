package gateway

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/carepath/carepath/internal/platform/jsonplan"
)

// Format renders responses of one message type in another media type (a CSV table, a
// printable page) for clients that ask for it with Accept, or with the path's suffix (see
// Suffixes). Errors, and every other message, stay JSON.
type Format struct {
	MIME    string // such as "text/csv"
	Suffix  string // such as ".csv"
	Message protoreflect.FullName
	Render  func(proto.Message) ([]byte, error)
}

// WithFormats installs the formats' marshalers on a mux from NewServeMux.
func WithFormats(fs ...Format) runtime.ServeMuxOption {
	return func(mux *runtime.ServeMux) {
		for _, f := range fs {
			runtime.WithMarshalerOption(f.MIME, &formatMarshaler{Marshaler: jsonMarshaler(), format: f})(mux)
		}
	}
}

// formatMarshaler is the JSON marshaler but for its format's message.
type formatMarshaler struct {
	jsonplan.Marshaler
	format Format
}

func (m *formatMarshaler) mine(v any) (proto.Message, bool) {
	msg, ok := v.(proto.Message)
	return msg, ok && msg.ProtoReflect().Descriptor().FullName() == m.format.Message
}

func (m *formatMarshaler) Marshal(v any) ([]byte, error) {
	if msg, ok := m.mine(v); ok {
		return m.format.Render(msg)
	}
	return m.Marshaler.Marshal(v)
}

func (m *formatMarshaler) ContentType(v any) string {
	if _, ok := m.mine(v); ok {
		return m.format.MIME + "; charset=utf-8"
	}
	return m.Marshaler.ContentType(v)
}

// Suffixes serves a GET of a path that match accepts with a format's suffix added as that
// path with the format's Accept header, so that a link can name a format (".../boardReport.csv").
func Suffixes(next http.Handler, match *regexp.Regexp, fs ...Format) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			for _, f := range fs {
				if path, ok := strings.CutSuffix(r.URL.Path, f.Suffix); ok && match.MatchString(path) {
					r = r.Clone(r.Context())
					r.URL.Path, r.URL.RawPath = path, ""
					r.Header.Set("Accept", f.MIME)
					break
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
