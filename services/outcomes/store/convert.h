// Between the domain's plain instrument structs and the contract's messages.
#pragma once

#include "iop/outcomes/v1/outcomes.pb.h"
#include "outcomes/domain/instrument.h"

namespace iop::outcomes::store {

namespace v1 = ::iop::outcomes::v1;

v1::Instrument ToProto(const domain::Instrument& in);
domain::Instrument FromProto(const v1::Instrument& in);

}  // namespace iop::outcomes::store
