import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A tus upload session (offset and accepted parts); shared by every replica. */
@Schema({ collection: 'uploads', versionKey: false, _id: false })
export class UploadDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) sha256!: string;
  @Prop({ type: Number, required: true }) length!: number;
  @Prop({ type: Number, required: true }) offset!: number;
  @Prop({ type: [{ start: Number, size: Number, key: String, _id: false }], default: [] })
  parts!: { start: number; size: number; key: string }[];
  @Prop({ type: Object, default: {} }) metadata!: Record<string, string>;
  @Prop({ type: String, required: true }) created_at!: string;
  @Prop({ type: String, required: true }) expires_at!: string;
}

export const UploadSchema = SchemaFactory.createForClass(UploadDoc);
UploadSchema.index({ expires_at: 1 });
