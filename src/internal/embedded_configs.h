// The shipped default configs, compiled into the library from configs/ at
// build time (see CMakeLists.txt) so the library needs no install path.
#ifndef CHURNKIT_SRC_INTERNAL_EMBEDDED_CONFIGS_H_
#define CHURNKIT_SRC_INTERNAL_EMBEDDED_CONFIGS_H_

namespace churnkit::internal {

// configs/features/default.textproto
extern const char kDefaultFeaturesTextproto[];
// configs/labels/default.textproto
extern const char kDefaultLabelsTextproto[];
// configs/health/default.textproto and weighted.textproto
extern const char kDefaultHealthTextproto[];
extern const char kWeightedHealthTextproto[];
// configs/rules/default.textproto
extern const char kDefaultRulesTextproto[];
// configs/careplans/default.textproto
extern const char kDefaultCarePlanTextproto[];
// configs/generator/default.textproto
extern const char kDefaultGeneratorTextproto[];
// configs/segment/default.textproto
extern const char kDefaultSegmentTextproto[];

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_EMBEDDED_CONFIGS_H_
