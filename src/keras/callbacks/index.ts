/** tf.keras.callbacks: hooks into fit, evaluate and predict. */
export { Callback, CallbackList } from "./callback.js";
export { History } from "./history.js";
export { ProgbarLogger } from "./progbar.js";
export { EarlyStopping } from "./early_stopping.js";
export { ReduceLROnPlateau } from "./reduce_lr_on_plateau.js";
export { LearningRateScheduler } from "./learning_rate_scheduler.js";
export { CSVLogger } from "./csv_logger.js";
export { TerminateOnNaN } from "./terminate_on_nan.js";
export { LambdaCallback } from "./lambda_callback.js";
export { ModelCheckpoint } from "./model_checkpoint.js";
export { TensorBoard } from "./tensorboard.js";
