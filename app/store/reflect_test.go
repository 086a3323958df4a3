package store_test

import "reflect"

func reflectType(m any) reflect.Type { return reflect.TypeOf(m).Elem() }
