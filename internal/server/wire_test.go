package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/broker"
)

// The control API must send the broker's state field for field: a field
// added to broker.AccountStatus but not to api.AccountStatus (or not
// copied) would silently vanish from `hopd accounts --json`.
func TestWireStatusKeepsEveryField(t *testing.T) {
	var u broker.UserStatus
	var a broker.AccountStatus
	fill(t, reflect.ValueOf(&u).Elem())
	fill(t, reflect.ValueOf(&a).Elem())
	st := broker.Status{Users: []broker.UserStatus{u}, Accounts: []broker.AccountStatus{a}}
	want, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(new(Server).wireStatus(st))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the control API sends\n%s\nbut the broker's state is\n%s", got, want)
	}

	empty, _ := json.Marshal(new(Server).wireStatus(broker.Status{}))
	if string(empty) != `{"users":[],"accounts":[]}` {
		t.Errorf("an empty state is sent as %s; want empty lists, not null", empty)
	}
}

// fill sets every field of a status struct to a value that is not zero,
// so that omitempty hides none of them.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Minute)))
		case f.Kind() == reflect.String:
			f.SetString(v.Type().Field(i).Name + "-value")
		case f.Kind() == reflect.Int:
			f.SetInt(int64(100 + i))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("fill does not know how to set %s.%s (%s); teach it", v.Type(), v.Type().Field(i).Name, f.Type())
		}
	}
}
