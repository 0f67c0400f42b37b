/** The recurrent layers of tf.keras.layers (the RNN family, its cells and the wrappers). */
export { GRUCell, LSTMCell, SimpleRNNCell } from "./cells.js";
export { GRU, LSTM, SimpleRNN } from "./layers.js";
export { RNN } from "./rnn.js";
export { Bidirectional, TimeDistributed } from "./wrappers.js";
