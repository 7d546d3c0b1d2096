// Starter text for a first run: plain prose with short, regular sentences and
// a few repeated facts, so even a tiny model shows its loss falling within a
// minute and then echoes recognisable words. Written for this project.

export const SAMPLE_TRAINING_TEXT = `The town of Elmsford sits where the river meets the sea. Every morning the baker opens her shop at six, and the smell of warm bread drifts down to the harbour. The fishermen come in with the tide, and they buy bread before they go home to sleep.

The river is slow and wide. In spring it carries snow water from the hills, and in summer children swim in the shallow bend below the mill. The mill has turned for two hundred years. The miller says the wheel is older than the town, but nobody believes him.

The capital of France is Paris. The capital of Italy is Rome. The capital of Spain is Madrid. The teacher at the little school asks these questions every Friday, and the children answer them in one voice.

On the hill above the harbour stands a lighthouse. Its keeper climbs one hundred and twelve steps each evening to light the lamp. When the fog rolls in, he rings a bell so that the boats can find the channel. He writes the weather in a book: wind from the west, clear sky, calm sea.

In autumn the apple trees behind the church are heavy with fruit. The whole town helps with the harvest. They press the apples into juice, and they bake apple cakes for the festival. At the festival there is music in the square, and the old people dance with the young.

In winter the days are short and the nights are long. The baker still opens her shop at six. The keeper still climbs the steps. The river still runs to the sea, and the town waits for spring.
`;

/** A prompt the starter text can continue. */
export const SAMPLE_PROMPT = 'The baker';
