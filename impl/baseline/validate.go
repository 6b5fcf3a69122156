package baseline

import "github.com/shardlab/shardlab/model"

// The argument checks every peer runs before touching its state, in the
// model's error order: IDs in argument order, owner, handler.

func checkRegisterServer(id string, owner model.Owner, h model.Handler) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	if owner == 0 {
		return model.ErrInvalidOwner
	}
	if h == nil {
		return model.ErrNilHandler
	}
	return nil
}

func checkRegisterTransport(id string, owner model.Owner, h model.Handler, bindTo string) error {
	if err := model.ValidateID(id); err != nil {
		return err
	}
	if bindTo != "" {
		if err := model.ValidateID(bindTo); err != nil {
			return err
		}
	}
	if owner == 0 {
		return model.ErrInvalidOwner
	}
	if h == nil {
		return model.ErrNilHandler
	}
	return nil
}

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
