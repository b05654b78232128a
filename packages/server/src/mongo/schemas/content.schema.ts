import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One stored content, keyed by its hash (`_id` is the SHA-256, so the shard key can be the hash). */
@Schema({ collection: 'content', versionKey: false, _id: false })
export class ContentDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Number, required: true }) size!: number;
  @Prop({ type: String, required: true }) state!: string;
  @Prop({ type: Number, required: true }) version!: number;
  @Prop({ type: String, required: true }) uploaded_at!: string;
  @Prop({ type: String, default: null }) lease_until!: string | null;
  @Prop({ type: String, default: null }) verified_at!: string | null;
}

export const ContentSchema = SchemaFactory.createForClass(ContentDoc);
