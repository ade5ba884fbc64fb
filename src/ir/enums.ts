// The IR's version and enumerations, as plain `const` lists: the schema (./schema.ts) builds
// its literal unions from them, and the compiler's tables use them. Kept apart from the schema
// so that code which needs only these values does not load TypeBox (~200 modules at start-up).

export const IR_VERSION = 1;


/** What a tensor is: an image [H, W, C] or a vector [F]. */
export const TENSOR_KINDS = ["image", "vector"] as const;
/** How a parameter is initialised: "weight" draws from the net's initialiser; the others are constants. */
export const PARAM_INITS = ["weight", "zeros", "ones", "norm_weight"] as const;
/** A net's weight initialiser (the keys of INITS in src/compiler/tables.ts). */
export const INIT_KINDS = ["normal", "xavier", "kaiming", "orthogonal", "uniform"] as const;
/** The role the checker infers for a net from the losses. */
export const NET_ROLES = ["generator", "discriminator", "other"] as const;
/** Optimizers (the keys of OPTIMIZERS in src/compiler/tables.ts). */
export const OPTIMIZER_KINDS = ["adam", "rmsprop", "sgd"] as const;
/** Learning-rate schedules (the keys of SCHEDULES in src/compiler/tables.ts). */
export const SCHEDULE_KINDS = ["constant", "linear_decay", "step", "cosine"] as const;
/** How a dataset's folders are laid out (the `data { layout }` setting). */
export const DATA_LAYOUTS = ["unpaired", "paired_ab", "paired_folders"] as const;
/** How images are resized and cropped for training (the `data { preprocess }` setting). */
export const PREPROCESS_MODES = ["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "resize", "none"] as const;
/** Which half of a paired image is the input (the `data { direction }` setting). */
export const DIRECTIONS = ["AtoB", "BtoA"] as const;
/**
 * Value ops that are GAN criteria: they judge a discriminator's output against the target in
 * `attrs.target` ("real" or "fake"). IrValue.op is an open string; these are the criteria among
 * its values (src/compiler/losses.ts CRITERIA, src/runtime/criteria.ts).
 */
export const GAN_CRITERIA = ["lsgan", "vanilla", "wgan", "hinge"] as const;

export type TensorKind = (typeof TENSOR_KINDS)[number];
export type ParamInit = (typeof PARAM_INITS)[number];
export type InitKind = (typeof INIT_KINDS)[number];
export type NetRole = (typeof NET_ROLES)[number];
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];
export type DataLayout = (typeof DATA_LAYOUTS)[number];
export type PreprocessMode = (typeof PREPROCESS_MODES)[number];
export type Direction = (typeof DIRECTIONS)[number];
export type GanCriterion = (typeof GAN_CRITERIA)[number];
