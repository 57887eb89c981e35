#include "outcomes/store/convert.h"

namespace iop::outcomes::store {

v1::Instrument ToProto(const domain::Instrument& in) {
  v1::Instrument out;
  out.set_code(in.code);
  out.set_org_id(in.org_id);
  out.set_name(in.name);
  out.set_description(in.description);
  for (const auto& item : in.items) {
    auto* i = out.add_items();
    i->set_number(item.number);
    i->set_text(item.text);
    for (const auto& o : item.options) {
      auto* option = i->add_options();
      option->set_value(o.value);
      option->set_label(o.label);
      option->set_level(o.level);
    }
    i->set_min_value(item.min_value);
    i->set_max_value(item.max_value);
    i->set_reverse_scored(item.reverse_scored);
    i->set_level(item.level);
  }
  out.mutable_scoring()->set_rule(static_cast<v1::ScoringRule>(in.rule));
  out.mutable_scoring()->set_scale_factor(in.rule == domain::ScoringRule::kLevel ? 0 : in.Scale());
  for (const auto& b : in.bands) {
    auto* band = out.add_bands();
    band->set_min_score(b.min_score);
    band->set_max_score(b.max_score);
    band->set_label(b.label);
    band->set_acute(b.acute);
  }
  for (const auto& c : in.critical_items) {
    auto* critical = out.add_critical_items();
    critical->set_item_number(c.item_number);
    critical->set_min_value(c.min_value);
    critical->set_max_value(c.max_value);
    critical->set_risk_level(static_cast<v1::RiskSeverity>(c.risk_level));
    critical->set_description(c.description);
  }
  out.set_reliability(in.reliability);
  auto* norms = out.mutable_norms();
  norms->set_clinical_mean(in.norms.clinical_mean);
  norms->set_clinical_sd(in.norms.clinical_sd);
  norms->set_functional_mean(in.norms.functional_mean);
  norms->set_functional_sd(in.norms.functional_sd);
  norms->set_source(in.norms.source);
  out.set_reliable_change_threshold(in.reliable_change_threshold);
  out.set_clinical_cutoff(in.clinical_cutoff);
  out.set_higher_is_better(in.higher_is_better);
  out.set_min_total(in.MinTotal());
  out.set_max_total(in.MaxTotal());
  out.set_built_in(in.built_in);
  out.set_loinc_code(in.loinc_code);
  out.set_license(in.license);
  return out;
}

domain::Instrument FromProto(const v1::Instrument& in) {
  domain::Instrument out;
  out.code = in.code();
  out.org_id = in.org_id();
  out.name = in.name();
  out.description = in.description();
  for (const auto& i : in.items()) {
    domain::Item item{i.number(), i.text(), {}, i.min_value(), i.max_value(), i.reverse_scored(), i.level()};
    for (const auto& o : i.options()) item.options.push_back({o.value(), o.label(), o.level()});
    out.items.push_back(std::move(item));
  }
  out.rule = static_cast<domain::ScoringRule>(in.scoring().rule());
  out.scale_factor = in.scoring().scale_factor();
  for (const auto& b : in.bands()) out.bands.push_back({b.min_score(), b.max_score(), b.label(), b.acute()});
  for (const auto& c : in.critical_items()) {
    out.critical_items.push_back({c.item_number(), c.min_value(), c.max_value(),
                                  static_cast<domain::RiskLevel>(c.risk_level()), c.description()});
  }
  out.reliability = in.reliability();
  out.norms = {in.norms().clinical_mean(), in.norms().clinical_sd(), in.norms().functional_mean(),
               in.norms().functional_sd(), in.norms().source()};
  out.reliable_change_threshold = in.reliable_change_threshold();
  out.clinical_cutoff = in.clinical_cutoff();
  out.higher_is_better = in.higher_is_better();
  out.built_in = in.built_in();
  out.loinc_code = in.loinc_code();
  out.license = in.license();
  return out;
}

}  // namespace iop::outcomes::store
