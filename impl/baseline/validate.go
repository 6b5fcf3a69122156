package baseline

import "github.com/shardlab/shardlab/model"

// Registrations are checked by model.CheckRegistration; checkTwoIDs is the
// same for the two-ID operations, in argument order.

func checkTwoIDs(first, second string) error {
	if err := model.ValidateID(first); err != nil {
		return err
	}
	return model.ValidateID(second)
}

func deliver(hs []model.Handler, msg model.Message) {
	for _, h := range hs {
		h.Handle(msg)
	}
}
