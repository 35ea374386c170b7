package workflows

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// Duration is a DSL duration: an ISO 8601 string ("PT4H"), an object of
// {days, hours, minutes, seconds, milliseconds}, or a runtime expression
// that yields either.
type Duration struct {
	Raw  any    // as written
	Expr string // set when Raw is a runtime expression
}

// UnmarshalJSON keeps the value as written; Resolve reads it.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &d.Raw); err != nil {
		return err
	}
	if s, ok := d.Raw.(string); ok && IsExpression(s) {
		d.Expr = s
	}
	return nil
}

// MarshalJSON writes it back as written.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Raw) }

// Static returns the duration when it is not an expression.
func (d *Duration) Static() (time.Duration, error) {
	if d.Expr != "" {
		return 0, fmt.Errorf("%s is a runtime expression", d.Expr)
	}
	return ParseDuration(d.Raw)
}

// isoDuration matches ISO 8601 durations; years and months are refused
// below because their length depends on the calendar.
var isoDuration = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// MaxDuration bounds every duration so arithmetic cannot overflow.
const MaxDuration = 100 * 365 * 24 * time.Hour

// ParseDuration reads a duration value: an ISO 8601 string or the DSL's
// object form.
func ParseDuration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case string:
		return parseISODuration(v)
	case map[string]any:
		return parseDurationObject(v)
	default:
		return 0, fmt.Errorf("a duration is an ISO 8601 string like PT30S or an object like {minutes: 5}, not %s", describe(v))
	}
}

func parseISODuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s[len(s)-1] == 'T' {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT30S or P1DT4H", s)
	}
	if m[1] != "" || m[2] != "" {
		return 0, fmt.Errorf("%q uses years or months, whose length depends on the calendar: use weeks, days or hours", s)
	}
	units := []time.Duration{0, 0, 0, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	var total float64
	for i := 3; i < len(m); i++ {
		if m[i] == "" {
			continue
		}
		n, _ := strconv.ParseFloat(m[i], 64)
		total += n * float64(units[i])
	}
	return boundDuration(total, s)
}

func parseDurationObject(o map[string]any) (time.Duration, error) {
	units := map[string]time.Duration{
		"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute,
		"seconds": time.Second, "milliseconds": time.Millisecond,
	}
	if len(o) == 0 {
		return 0, fmt.Errorf("a duration object needs at least one of days, hours, minutes, seconds, milliseconds")
	}
	var total float64
	for _, k := range sortedKeys(o) {
		unit, ok := units[k]
		if !ok {
			return 0, fmt.Errorf("%q is not a duration unit: use days, hours, minutes, seconds or milliseconds", k)
		}
		n, ok := o[k].(float64)
		if !ok || n < 0 || n != math.Trunc(n) {
			return 0, fmt.Errorf("%s must be a whole number of at least 0", k)
		}
		total += n * float64(unit)
	}
	return boundDuration(total, "the duration")
}

func boundDuration(total float64, what string) (time.Duration, error) {
	if total > float64(MaxDuration) {
		return 0, fmt.Errorf("%s is longer than 100 years", what)
	}
	return time.Duration(total), nil
}

// FormatISO writes d as an ISO 8601 duration ("PT1H30M").
func FormatISO(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	out := "P"
	if days := d / (24 * time.Hour); days > 0 {
		out += strconv.FormatInt(int64(days), 10) + "D"
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return out
	}
	out += "T"
	if h := d / time.Hour; h > 0 {
		out += strconv.FormatInt(int64(h), 10) + "H"
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		out += strconv.FormatInt(int64(m), 10) + "M"
		d -= m * time.Minute
	}
	if d > 0 {
		out += strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S"
	}
	return out
}
