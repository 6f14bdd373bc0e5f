package risk

import (
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// memoLimit bounds how many distinct inputs each pattern remembers.
const memoLimit = 1 << 16

// memoMatches replaces CEL's `matches` with a constant pattern (compiled
// once, as cel.OptOptimize does) by one that also remembers its answer per
// input string. Rules test the same policy names and scopes over and over
// (latent-admin matches every item's via names), and a backtracking match
// of a case-insensitive alternation cost a tenth of scoring. The answer is
// the same: only repeated work is skipped. The optimisations are keyed by
// overload, which CEL consults before its own `matches` optimisation.
var memoMatches = []*interpreter.RegexOptimization{
	{Function: overloads.Matches, OverloadID: overloads.MatchesString, RegexIndex: 1, Factory: memoFactory},
	{Function: overloads.Matches, OverloadID: overloads.Matches, RegexIndex: 1, Factory: memoFactory},
}

func memoFactory(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	var (
		memo sync.Map // string -> bool
		n    atomic.Int64
	)
	return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(), func(values ...ref.Val) ref.Val {
		if len(values) != 2 {
			return types.NoSuchOverloadErr()
		}
		in, ok := values[0].Value().(string)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		if v, ok := memo.Load(in); ok {
			return types.Bool(v.(bool))
		}
		m := re.MatchString(in)
		if n.Add(1) <= memoLimit {
			memo.Store(in, m)
		}
		return types.Bool(m)
	}), nil
}
