/** tf.keras.layers: every layer class, one file per family. */
export { Layer } from "../engine/layer.js";
export { Activation, Dense, Dropout, Lambda, Masking } from "./core.js";
export { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D } from "./conv.js";
export {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from "./pooling.js";
export { Flatten, Permute, Reshape } from "./reshaping.js";
export { BatchNormalization, LayerNormalization } from "./normalization.js";
export { ELU, LeakyReLU, ReLU, Softmax } from "./activation.js";
export { Embedding } from "./embedding.js";
export { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from "./merge.js";
export { add, average, concatenate, maximum, minimum, multiply, subtract } from "./merge_functions.js";
export { Rescaling } from "./preprocessing.js";
// Keras's alternative names.
export {
  AveragePooling1D as AvgPool1D,
  AveragePooling2D as AvgPool2D,
  GlobalAveragePooling1D as GlobalAvgPool1D,
  GlobalAveragePooling2D as GlobalAvgPool2D,
  GlobalMaxPooling1D as GlobalMaxPool1D,
  GlobalMaxPooling2D as GlobalMaxPool2D,
  MaxPooling1D as MaxPool1D,
  MaxPooling2D as MaxPool2D,
} from "./pooling.js";
export { Conv1D as Convolution1D, Conv2D as Convolution2D, Conv2DTranspose as Convolution2DTranspose } from "./conv.js";
export { InputLayer } from "../engine/input_layer.js";
export { Bidirectional, GRU, GRUCell, LSTM, LSTMCell, RNN, SimpleRNN, SimpleRNNCell, TimeDistributed } from "./recurrent/index.js";
export { deserialize, serialize } from "./serialization.js";
