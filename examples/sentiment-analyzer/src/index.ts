import { definePlugin, NodeError, Type } from 'pocket-wit/guest';

const POSITIVE = new Set([
  'good', 'great', 'excellent', 'amazing', 'wonderful', 'fantastic', 'love', 'like', 'best', 'happy',
  'joy', 'brilliant', 'perfect', 'beautiful', 'awesome', 'nice', 'super', 'fun', 'exciting',
]);
const NEGATIVE = new Set([
  'bad', 'terrible', 'awful', 'horrible', 'hate', 'dislike', 'worst', 'sad', 'angry', 'disappointed',
  'poor', 'fail', 'wrong', 'broken', 'useless', 'waste', 'annoying', 'frustrating', 'boring',
]);

const round2 = (n: number): number => Math.round(n * 100) / 100;

export default definePlugin({
  nodes: [
    {
      type: 'sentiment',
      category: 'ai',
      description: 'Text sentiment analysis',
      config: Type.Object({
        threshold: Type.Number({ default: 0.1, description: 'Score above which text is positive (below its negative, negative)' }),
        languages: Type.Array(Type.String(), { default: ['en'], description: 'Accepted input languages' }),
      }),
      input: Type.Object({
        text: Type.String({ description: 'The text to analyse' }),
        lang: Type.Optional(Type.String({ default: 'en' })),
      }),
      output: Type.Object({
        sentiment: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('neutral')]),
        score: Type.Number(),
        confidence: Type.Number(),
        keywords: Type.Array(Type.String()),
      }),

      prep(input, ctx) {
        const lang = input.lang ?? 'en';
        if (!ctx.config.languages.includes(lang)) {
          throw new NodeError('invalid-input', `unsupported language "${lang}" (supported: ${ctx.config.languages.join(', ')})`, { field: 'input.lang' });
        }
        const words = input.text.toLowerCase().replace(/[^\w\s]/g, '').split(/\s+/).filter((w) => w.length > 0);
        return { words };
      },

      exec({ words }, ctx) {
        let positive = 0;
        let negative = 0;
        const keywords: string[] = [];
        for (const word of words) {
          const isPositive = POSITIVE.has(word);
          const isNegative = NEGATIVE.has(word);
          if (isPositive) positive++;
          if (isNegative) negative++;
          if ((isPositive || isNegative) && !keywords.includes(word)) keywords.push(word);
        }
        const matched = positive + negative;
        const score = matched === 0 ? 0 : (positive - negative) / matched;
        const { threshold } = ctx.config;
        const sentiment = score > threshold ? 'positive' : score < -threshold ? 'negative' : 'neutral';
        const confidence = Math.min(matched / Math.max(words.length * 0.1, 1), 1);
        return { sentiment, score: round2(score), confidence: round2(confidence), keywords };
      },

      post(_input, _prep, result, ctx) {
        ctx.store.set(`sentiment:${new Date().toISOString()}`, result);
        ctx.log.debug('sentiment analysed', { sentiment: result.sentiment, score: result.score });
        let next = 'done';
        if (result.sentiment === 'neutral') next = 'neutral';
        else if (result.confidence > 0.8) next = result.sentiment === 'positive' ? 'high-positive' : 'high-negative';
        return { output: result, next };
      },
    },
  ],
});
