import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A rate-limit counter; MongoDB's TTL monitor removes it after `expires_at`. */
@Schema({ collection: 'counters', versionKey: false, _id: false })
export class CounterDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Number, required: true }) count!: number;
  @Prop({ type: Date, required: true }) expires_at!: Date;
}

export const CounterSchema = SchemaFactory.createForClass(CounterDoc);
CounterSchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });
